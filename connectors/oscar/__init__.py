"""Django Oscar (django-oscar-api admin API) as a sales channel: the connector in client.py, its
settings in settings.py.

Imports nothing, so the registry can load the settings model without the client.
"""
