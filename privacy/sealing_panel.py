"""Filled by its section: the case page's panel (cases.panels), registered in privacy/apps.py."""

from cases.panels import Panel

PANEL = Panel(name=__name__, template="", context=lambda request, case: None)
