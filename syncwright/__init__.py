"""Syncwright: a sync daemon that keeps a back office and its sales channels in step.

The three parts live in the checkout's top-level folders and are installed under this package:
``syncwright.daemon`` (daemon/), ``syncwright.connectors`` (connectors/) and ``syncwright.tui``
(tui/). In the checkout the three names here are symbolic links to those folders; the wheel
holds them as ordinary folders.
"""
