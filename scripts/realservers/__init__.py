"""Real Tryton and Django Oscar servers for the tests: install, initialise, start, stop.

Each server is installed once into its own virtual environment under the cache directory
(``$SYNCWRIGHT_SERVER_CACHE`` or ``~/.cache/syncwright/servers``), outside the git tree, and
initialised once on SQLite into a *pristine* database that is kept next to it. A test session
copies that database into its own directory, starts the server on a free loopback port, and
resets it between tests by stopping the server and copying the pristine file back.

    python3 scripts/realservers prepare tryton|oscar|all    install and initialise (cached)
    python3 scripts/realservers run tryton|oscar            start one in the foreground

The module needs only the standard library, so it runs under any python3 >= 3.11.
"""
