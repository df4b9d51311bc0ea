from odoo import fields, models


class QboRealmBudget(models.Model):
    """The calls booked to one QuickBooks realm, shared by every Odoo process (see ``qbo_pacer``).

    Read and written only by ``qbo_pacer``, in short transactions of its own with this row locked.
    """

    _name = "qbo.realm.budget"
    _description = "QuickBooks Realm Call Budget"
    _log_access = False
    _rec_name = "realm_key"

    realm_key = fields.Char(string="Realm", required=True, readonly=True)
    batch_only = fields.Boolean(string="Batch Calls", readonly=True,
                                help="The windows of batch calls; otherwise those of all calls.")
    slot_ends = fields.Text(string="Booked Slots", readonly=True,
                            help="Ends of the slots booked within the longest window (epoch seconds, JSON).")
    last_start = fields.Float(string="Last Slot", readonly=True)
    paused_until = fields.Float(string="Paused Until", readonly=True,
                                help="QuickBooks asked for a pause (HTTP 429): no slot starts before.")

    _sql_constraints = [
        ("realm_stage_uniq", "UNIQUE(realm_key, batch_only)", "A realm has one budget row per kind of call."),
    ]
