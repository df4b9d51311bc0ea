from odoo import models


class IrCron(models.Model):
    _inherit = "ir.cron"

    def _qbo_trigger_lanes(self, at=None):
        """Trigger these jobs and their lanes (the jobs running the same code on the same model), so
        that Odoo's cron threads serve the companies side by side.

        :param datetime at: when (None: now)
        """
        jobs = self.sudo()
        lanes = jobs.search([("model_id", "in", jobs.model_id.ids), ("code", "in", jobs.mapped("code"))])
        for lane in lanes:
            lane._trigger(at=at)
