from odoo import _, api, fields, models
from odoo.exceptions import UserError


class QboMapping(models.Model):
    """Which Odoo record is which QuickBooks record, per company (unique both ways)."""

    _name = "qbo.mapping"
    _description = "QuickBooks Mapping"
    _order = "company_id, qbo_entity, qbo_name, id"
    _rec_name = "qbo_name"

    company_id = fields.Many2one(
        "res.company", string="Company", required=True, index=True, ondelete="cascade",
        default=lambda self: self.env.company,
    )
    res_model = fields.Char(string="Odoo Model", required=True, index=True)
    res_id = fields.Many2oneReference(string="Odoo Record ID", model_field="res_model", required=True, index=True)
    res_name = fields.Char(string="Odoo Record", compute="_compute_res_name")
    qbo_entity = fields.Char(string="QuickBooks Entity", required=True)
    qbo_id = fields.Char(string="QuickBooks ID", required=True, index=True)
    qbo_sync_token = fields.Char(string="SyncToken")
    qbo_name = fields.Char(string="QuickBooks Name")
    last_sync_date = fields.Datetime(string="Last Synchronized")

    _sql_constraints = [
        ("qbo_record_unique", "unique(company_id, qbo_entity, qbo_id)",
         "This QuickBooks record is already linked to another Odoo record."),
        ("odoo_record_unique", "unique(company_id, res_model, res_id, qbo_entity)",
         "This Odoo record is already linked to a QuickBooks record of this kind."),
    ]

    @api.depends("res_model", "res_id")
    def _compute_res_name(self):
        for mapping in self:
            # display names only, also of records the reader may not open (e.g. employees)
            record = mapping.res_model in self.env and \
                self.env[mapping.res_model].sudo().browse(mapping.res_id).exists()
            mapping.res_name = record.display_name if record else False

    # === LOOKUPS FOR A WHOLE SELECTION === #

    @api.model
    def _qbo_ids_for(self, records, qbo_entity, company=None):
        """Return the QuickBooks ids of ``records`` for ``qbo_entity``, one query for the selection.

        :param records: any recordset
        :param str qbo_entity: e.g. ``"Customer"``
        :param company: the company (default: the current one)
        :return: ``{record_id: qbo_id}`` for the linked records only
        :rtype: dict
        """
        if not records:
            return {}
        mappings = self._qbo_mappings_for(records, qbo_entity, company)
        return {mapping.res_id: mapping.qbo_id for mapping in mappings}

    @api.model
    def _qbo_mappings_for(self, records, qbo_entity, company=None):
        """Return the mappings of ``records`` for ``qbo_entity`` in ``company``."""
        company = company or self.env.company
        return self.search([
            ("company_id", "=", company.id),
            ("res_model", "=", records._name),
            ("res_id", "in", records.ids),
            ("qbo_entity", "=", qbo_entity),
        ])

    @api.model
    def _records_for(self, company, qbo_entity, qbo_ids):
        """Return the Odoo records linked to ``qbo_ids``, one query for the selection.

        :return: ``{qbo_id: record}`` for the linked, still existing records only
        :rtype: dict
        """
        mappings = self.search([
            ("company_id", "=", company.id),
            ("qbo_entity", "=", qbo_entity),
            ("qbo_id", "in", [str(qbo_id) for qbo_id in qbo_ids]),
        ])
        result = {}
        for res_model, model_mappings in mappings.grouped("res_model").items():
            existing = self.env[res_model].browse(model_mappings.mapped("res_id")).exists()
            for mapping in model_mappings:
                if mapping.res_id in existing.ids:
                    result[mapping.qbo_id] = self.env[res_model].browse(mapping.res_id)
        return result

    # === WRITES === #

    @api.model
    def _link(self, company, record, qbo_entity, qbo_id, sync_token=None, qbo_name=None):
        """Link ``record`` to a QuickBooks record, refusing to move an existing link.

        Linking a pair that is already linked only refreshes its SyncToken and name.

        :return: the mapping
        :raise UserError: if either side is already linked elsewhere
        """
        record.ensure_one()
        qbo_id = str(qbo_id)
        existing = self.search([
            ("company_id", "=", company.id), ("qbo_entity", "=", qbo_entity),
            "|", ("qbo_id", "=", qbo_id), "&", ("res_model", "=", record._name), ("res_id", "=", record.id),
        ])
        values = {"last_sync_date": fields.Datetime.now()}
        if sync_token is not None:
            values["qbo_sync_token"] = str(sync_token)
        if qbo_name:
            values["qbo_name"] = qbo_name
        same = existing.filtered(lambda m: m.qbo_id == qbo_id and m.res_model == record._name
                                 and m.res_id == record.id)
        if same:
            same.write(values)
            return same
        if existing:
            other = existing[0]
            if other.qbo_id == qbo_id:
                raise UserError(_(
                    "QuickBooks: %(entity)s %(name)s is already linked to %(record)s; unlink it first.",
                    entity=qbo_entity, name=other.qbo_name or qbo_id, record=other.res_name or other.res_id))
            raise UserError(_(
                "QuickBooks: %(record)s is already linked to %(entity)s %(name)s; unlink it first.",
                record=record.display_name, entity=qbo_entity, name=other.qbo_name or other.qbo_id))
        return self.create({
            **values,
            "company_id": company.id,
            "res_model": record._name,
            "res_id": record.id,
            "qbo_entity": qbo_entity,
            "qbo_id": qbo_id,
        })

    @api.model
    def _unlink(self, company, records, qbo_entity):
        """Remove the links of ``records`` for ``qbo_entity``; return how many links were removed."""
        mappings = self._qbo_mappings_for(records, qbo_entity, company)
        count = len(mappings)
        mappings.unlink()
        return count
