"""Pure translation of Odoo documents into QuickBooks Online JSON, and the checks of what comes back.

No ORM here: the models extract plain values from records and call these functions.
"""
