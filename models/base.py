from odoo import _, models
from odoo.exceptions import AccessError

from ..const import ROLE_GROUPS


class Base(models.AbstractModel):
    _inherit = "base"

    def _qbo_check_access(self, role="manager", operation="read"):
        """Refuse unless the user has the QuickBooks ``role`` and may ``operation`` these records.

        Every public QuickBooks method calls this first, before any ``sudo()``: the role alone is
        not enough, the records must be ones the user may reach (access rights, record rules) in
        the companies the user works in now. A superuser environment (the callers' own technical
        parts) is not checked.

        :param str role: ``user``, ``manager`` or ``admin`` (``const.ROLE_GROUPS``)
        :param str operation: ``read``, ``write``, ``create`` or ``unlink``
        :raise AccessError: if any of these is not allowed
        """
        if self.env.su:
            return
        if not self.env.user.has_group(ROLE_GROUPS[role]):
            raise AccessError({
                "user": _("Only QuickBooks users can do this."),
                "manager": _("Only QuickBooks managers can do this."),
                "admin": _("Only a system administrator can connect or disconnect QuickBooks Online."),
            }[role])
        self.check_access(operation)
        outside = self._qbo_record_companies() - self.env.companies
        if outside:
            raise AccessError(_("QuickBooks: %(company)s is not one of the companies you are working in.",
                                company=", ".join(outside.mapped("name"))))

    def _qbo_record_companies(self):
        """The companies these records belong to (for ``_qbo_check_access``)."""
        if self._name == "res.company":
            return self
        if "company_id" in self._fields and self._fields["company_id"].comodel_name == "res.company":
            return self.sudo().company_id
        return self.env["res.company"]
