import hashlib
import json
import logging

from odoo import _, fields, models
from odoo.exceptions import UserError

from ..const import STALE_OBJECT
from ..qbo_client import QboApiError
from ..qbo_master_data import CONTACT_FIELDS, contact_sparse_payload

_logger = logging.getLogger(__name__)


class ResPartner(models.Model):
    _inherit = "res.partner"

    def write(self, vals):
        # EXTENDS base: push contact changes of linked partners to QuickBooks when the company asks for it.
        changed = set(vals) & set(CONTACT_FIELDS)
        if not changed or self.env.context.get("qbo_no_push") or not self.env["res.company"].sudo().search_count(
                [("qbo_push_contacts", "=", True)], limit=1):
            return super().write(vals)
        before = {partner.id: partner._qbo_contact_values() for partner in self}
        result = super().write(vals)
        self._qbo_push_contacts(before)
        return result

    def _qbo_contact_values(self):
        self.ensure_one()
        return {
            "name": self.name, "email": self.email, "phone": self.phone, "mobile": self.mobile,
            "street": self.street, "street2": self.street2, "city": self.city, "zip": self.zip,
            "state_code": self.state_id.code, "country_code": self.country_id.code,
        }

    def _qbo_push_contacts(self, before):
        """Send the contact fields that really changed to every QuickBooks Customer/Vendor linked to
        these partners, in companies that push contacts (sparse update with the stored SyncToken).

        The push is a consequence of an allowed edit, so it runs as superuser; a failure never
        blocks the edit: it is written on the partner's chatter.

        :param dict before: ``{partner_id: values}`` read before the write
        """
        mappings = self.env["qbo.mapping"].sudo().search([
            ("res_model", "=", "res.partner"), ("res_id", "in", self.ids),
            ("qbo_entity", "in", ("Customer", "Vendor")), ("company_id.qbo_push_contacts", "=", True),
        ])
        for mapping in mappings:
            partner = self.browse(mapping.res_id)
            old, new = before[partner.id], partner._qbo_contact_values()
            changed = {field for field, keys in CONTACT_FIELDS.items() if any(old[k] != new[k] for k in keys)}
            if changed:
                partner._qbo_push_contact(mapping, old, new, changed)

    def _qbo_push_contact(self, mapping, old, new, changed):
        self.ensure_one()
        company = mapping.company_id.sudo()
        display_name = new["name"]
        # Keep the suffix a name clash gave the QuickBooks name ("Acme (C)" renamed "Acme Ltd (C)").
        if old["name"] and mapping.qbo_name and mapping.qbo_name.startswith(old["name"]):
            display_name += mapping.qbo_name[len(old["name"]):]
        try:
            client = company._qbo_get_client()
            try:
                payload = contact_sparse_payload(new, changed, mapping.qbo_id, mapping.qbo_sync_token, display_name)
                doc = client.update(mapping.qbo_entity, payload, requestid=self._qbo_push_requestid(company, payload))
            except QboApiError as error:
                if error.code != STALE_OBJECT:
                    raise
                # Changed in QuickBooks meanwhile: take its current SyncToken and send once more.
                current = client.read(mapping.qbo_entity, mapping.qbo_id)
                payload = contact_sparse_payload(new, changed, mapping.qbo_id, current["SyncToken"], display_name)
                doc = client.update(mapping.qbo_entity, payload, requestid=self._qbo_push_requestid(company, payload))
        except (QboApiError, UserError) as error:
            _logger.info("QuickBooks: contact %s not pushed to %s %s", self.id, mapping.qbo_entity, mapping.qbo_id)
            self._message_log(body=_("QuickBooks: this contact's changes were not sent to %(entity)s %(name)s "
                                     "(%(company)s): %(error)s", entity=mapping.qbo_entity,
                                     name=mapping.qbo_name or mapping.qbo_id, company=company.name, error=error))
            return
        mapping.sudo().write({
            "qbo_sync_token": doc.get("SyncToken"),
            "qbo_name": doc.get("DisplayName") or mapping.qbo_name,
            "last_sync_date": fields.Datetime.now(),
        })

    def _qbo_push_requestid(self, company, payload):
        """The requestid of a contact update: the version it applies to and what it sends, so a
        replay of the edit (Odoo retrying its transaction) is answered by QuickBooks without a second
        update."""
        self.ensure_one()
        digest = hashlib.sha1(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:10]
        return (f"{self.env['qbo.export.engine']._qbo_requestid_prefix(company)}-c{self.id}"
                f"-u{payload.get('SyncToken')}-{digest}")
