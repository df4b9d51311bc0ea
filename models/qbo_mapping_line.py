from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..qbo_master_data import KINDS, SyncSummary, qbo_card
from .qbo_tax_map import US_LINE_CODES

KIND_SELECTION = [
    ("customer", "Customers"),
    ("vendor", "Vendors"),
    ("employee", "Employees"),
    ("product", "Products"),
    ("account", "Accounts"),
    ("tax", "Taxes"),
    ("term", "Payment Terms"),
    ("payment_method", "Payment Methods"),
]


class QboMappingLine(models.TransientModel):
    """One row of a mapping screen: a linked pair, or a record found only in Odoo or only in QuickBooks.

    The rows of a screen belong to the user who opened it and are rebuilt from both sides each
    time it is opened or refreshed; the links themselves live in ``qbo.mapping`` (``qbo.tax.map``
    for taxes).
    """

    _name = "qbo.mapping.line"
    _description = "QuickBooks Mapping Screen Row"
    _order = "sequence, id"

    company_id = fields.Many2one("res.company", required=True, readonly=True, ondelete="cascade")
    kind = fields.Selection(KIND_SELECTION, required=True, readonly=True)
    state = fields.Selection(
        [("linked", "Linked"), ("odoo", "Only in Odoo"), ("qbo", "Only in QuickBooks")],
        required=True, readonly=True,
    )
    sequence = fields.Integer(readonly=True)
    res_model = fields.Char(readonly=True)
    res_id = fields.Many2oneReference(string="Odoo Record ID", model_field="res_model", readonly=True)
    odoo_name = fields.Char(string="Odoo", readonly=True)
    odoo_email = fields.Char(string="Odoo Email", readonly=True)
    odoo_ref = fields.Char(string="Odoo Reference", readonly=True)
    qbo_id = fields.Char(string="QuickBooks ID", readonly=True)
    qbo_name = fields.Char(string="QuickBooks", readonly=True)
    qbo_email = fields.Char(string="QuickBooks Email", readonly=True)
    qbo_ref = fields.Char(string="QuickBooks Reference", readonly=True)
    qbo_sync_token = fields.Char(readonly=True)
    qbo_active = fields.Boolean(string="Active in QuickBooks", readonly=True, default=True)

    # === SCREEN === #

    @api.model
    def action_open_screen(self, kind):
        """Read both sides and open the mapping screen of ``kind`` for the current company.

        :param str kind: a key of ``qbo_master_data.KINDS``
        :return: the window action of the screen
        """
        self._qbo_check_access("manager")
        company = self.env.company
        self._qbo_rebuild(company, kind)
        return {
            "type": "ir.actions.act_window",
            "name": _("QuickBooks mapping: %s", dict(KIND_SELECTION)[kind]),
            "res_model": self._name,
            "view_mode": "list",
            "domain": [("kind", "=", kind), ("company_id", "=", company.id), ("create_uid", "=", self.env.uid)],
            "context": {"qbo_kind": kind, "search_default_hide_synchronized": 1},
            "target": "current",
        }

    @api.model
    def _qbo_rebuild(self, company, kind):
        """Replace the current user's rows of ``kind`` with fresh ones read from Odoo and QuickBooks."""
        sync = self.env["qbo.master.data.sync"]
        spec = KINDS[kind]
        client = company._qbo_get_client()
        docs = sync._qbo_fetch(client, kind)
        self._qbo_my_rows(company, kind).unlink()
        records = sync._qbo_odoo_records(company, kind)
        qbo_cards = {card["id"]: card for card in (qbo_card(spec.entity, doc) for doc in docs)}
        rows = []
        if kind == "tax":
            maps = self.env["qbo.tax.map"].search([("company_id", "=", company.id)])
            records |= maps.tax_id
            links = {tax_map.tax_id.id: tax_map for tax_map in maps}
            for card in self._qbo_tax_cards(company, client, qbo_cards):
                rows.append(self._qbo_row_values(company, kind, qbo=card))
            for record in records:
                tax_map = links.get(record.id)
                card = tax_map and {"id": tax_map.qbo_tax_code_id or tax_map.qbo_line_code,
                                    "name": tax_map.qbo_tax_code_name}
                rows.append(self._qbo_row_values(company, kind, record=record, qbo=card))
        else:
            mappings = self.env["qbo.mapping"].search([
                ("company_id", "=", company.id), ("qbo_entity", "=", spec.entity), ("res_model", "=", spec.model),
            ])
            existing = records.browse(mappings.mapped("res_id")).exists()
            # A link to a deleted Odoo record can never be used again: drop it.
            mappings.filtered(lambda mapping: mapping.res_id not in existing.ids).unlink()
            records |= existing
            linked = {mapping.res_id: mapping for mapping in mappings.exists()}
            for record in records:
                mapping = linked.get(record.id)
                card = mapping and (qbo_cards.pop(mapping.qbo_id, None) or {
                    "id": mapping.qbo_id, "name": mapping.qbo_name, "active": False})
                rows.append(self._qbo_row_values(company, kind, record=record, qbo=card))
            # the QuickBooks records left are the unlinked ones
            rows += [self._qbo_row_values(company, kind, qbo=card) for card in qbo_cards.values()]
        for sequence, values in enumerate(sorted(rows, key=lambda row: (row["odoo_name"] or row["qbo_name"] or "")
                                                 .casefold())):
            values["sequence"] = sequence
        return self.create(rows)

    @api.model
    def _qbo_tax_cards(self, company, client, qbo_cards):
        """Return the QuickBooks tax codes offered to Odoo taxes; US companies also get TAX and NON."""
        cards = list(qbo_cards.values())
        known = {card["id"] for card in cards}
        if company._qbo_export_settings(client)["us"]:
            cards += [{"id": code, "name": code, "active": True} for code in US_LINE_CODES if code not in known]
        return cards

    @api.model
    def _qbo_row_values(self, company, kind, record=None, qbo=None):
        values = {"company_id": company.id, "kind": kind, "state": "linked" if record and qbo else
                  "odoo" if record else "qbo", "odoo_name": False, "qbo_name": False}
        if record:
            card = self.env["qbo.master.data.sync"]._qbo_odoo_card(company, kind, record)
            values.update(res_model=record._name, res_id=record.id, odoo_name=card["name"],
                          odoo_email=card["email"], odoo_ref=card["ref"])
        if qbo:
            values.update(self._qbo_card_values(qbo))
        return values

    @api.model
    def _qbo_card_values(self, card):
        return {"qbo_id": card["id"], "qbo_name": card["name"], "qbo_email": card.get("email"),
                "qbo_ref": card.get("ref"), "qbo_sync_token": card.get("sync_token"),
                "qbo_active": card.get("active", True)}

    @api.model
    def _qbo_my_rows(self, company, kind):
        return self.search([("company_id", "=", company.id), ("kind", "=", kind), ("create_uid", "=", self.env.uid)])

    def _qbo_context(self):
        """Return ``(company, kind)`` of the screen, from the rows or from the action's context."""
        kind = self[:1].kind or self.env.context.get("qbo_kind")
        if kind not in KINDS:
            raise UserError(_("QuickBooks: open a mapping screen from the QuickBooks menu first."))
        return self[:1].company_id or self.env.company, kind

    def _qbo_records(self):
        """Return the Odoo records of these rows (one model per screen)."""
        company, kind = self._qbo_context()
        model = self.env["qbo.master.data.sync"]._qbo_odoo_model(kind)
        return model.browse(self.mapped("res_id")).with_company(company)

    def _qbo_done(self, summary):
        message = self.env["qbo.master.data.sync"]._qbo_summary_message(summary)
        kind_type = "warning" if summary.errors or summary.notes else "success"
        return self.env.company._qbo_notification(message, kind_type)

    # === ACTIONS (list header buttons) === #

    def action_link(self):
        """Link the selected Odoo row to the selected QuickBooks row."""
        self._qbo_check_access("manager", "write")
        odoo_rows = self.filtered(lambda row: row.state == "odoo")
        qbo_rows = self.filtered(lambda row: row.state == "qbo")
        if len(self) != 2 or len(odoo_rows) != 1 or len(qbo_rows) != 1:
            raise UserError(_("QuickBooks: select exactly one row only in Odoo and one row only in QuickBooks."))
        odoo_rows._qbo_link_pair(qbo_rows)
        summary = SyncSummary()
        summary.linked = 1
        return self._qbo_done(summary)

    def _qbo_link_pair(self, qbo_row):
        """Link this Odoo row's record to ``qbo_row``'s QuickBooks record and merge the two rows.

        :raise UserError: if either side is linked elsewhere
        Note: self.ensure_one()
        """
        self.ensure_one()
        company, kind = self._qbo_context()
        record = self._qbo_records()
        card = {"id": qbo_row.qbo_id, "name": qbo_row.qbo_name, "email": qbo_row.qbo_email, "ref": qbo_row.qbo_ref,
                "sync_token": qbo_row.qbo_sync_token, "active": qbo_row.qbo_active}
        if kind == "tax":
            # the screen of a US company offers the TAX and NON line codes
            us_company = bool(self._qbo_my_rows(company, kind).filtered(lambda row: row.qbo_id in US_LINE_CODES))
            self.env["qbo.tax.map"]._qbo_link(company, record, card, us_company)
        else:
            self.env["qbo.mapping"]._link(company, record, KINDS[kind].entity, card["id"], card["sync_token"],
                                          card["name"])
        self.write({**self._qbo_card_values(card), "state": "linked"})
        if kind != "tax":
            # several Odoo taxes may share a tax code: its row stays offered
            qbo_row.unlink()

    def action_unlink_pairs(self):
        """Remove the links of the selected linked rows (nothing changes in Odoo or QuickBooks)."""
        self._qbo_check_access("manager", "write")
        company, kind = self._qbo_context()
        rows = self.filtered(lambda row: row.state == "linked")
        if not rows:
            raise UserError(_("QuickBooks: select linked rows to unlink."))
        records = rows._qbo_records()
        summary = SyncSummary()
        if kind == "tax":
            tax_maps = self.env["qbo.tax.map"].search([("company_id", "=", company.id), ("tax_id", "in", records.ids)])
            summary.unlinked = len(tax_maps)
            tax_maps.unlink()
        else:
            summary.unlinked = self.env["qbo.mapping"]._unlink(company, records, KINDS[kind].entity)
            self.create([{
                "company_id": company.id, "kind": kind, "state": "qbo", "sequence": row.sequence,
                **row._qbo_card_values({"id": row.qbo_id, "name": row.qbo_name, "email": row.qbo_email,
                                        "ref": row.qbo_ref, "sync_token": row.qbo_sync_token,
                                        "active": row.qbo_active}),
            } for row in rows])
        rows.write({"state": "odoo", "qbo_id": False, "qbo_name": False, "qbo_email": False, "qbo_ref": False,
                    "qbo_sync_token": False, "qbo_active": True})
        return self._qbo_done(summary)

    def action_import(self):
        """Create the Odoo records of the selected QuickBooks rows (exact matches are linked instead)."""
        self._qbo_check_access("manager", "write")
        sync = self.env["qbo.master.data.sync"]
        company, kind = self._qbo_context()
        rows = self.filtered(lambda row: row.state == "qbo")
        if not rows:
            raise UserError(_("QuickBooks: select rows only in QuickBooks to import."))
        summary = SyncSummary()
        client = company._qbo_get_client()
        docs = sync._qbo_fetch_ids(client, kind, rows.mapped("qbo_id"))
        sync._qbo_import(company, kind, docs, summary)
        self._qbo_rebuild(company, kind)
        return self._qbo_done(summary)

    def action_export(self):
        """Create the QuickBooks records of the selected Odoo rows (exact matches are linked instead)."""
        self._qbo_check_access("manager", "write")
        sync = self.env["qbo.master.data.sync"]
        company, kind = self._qbo_context()
        rows = self.filtered(lambda row: row.state == "odoo")
        if not rows:
            raise UserError(_("QuickBooks: select rows only in Odoo to export."))
        summary = SyncSummary()
        sync._qbo_export(company, kind, rows._qbo_records(), summary)
        self._qbo_rebuild(company, kind)
        return self._qbo_done(summary)

    def action_clear_all(self):
        """Remove every link of this screen's kind for the company (nothing changes in either system)."""
        self._qbo_check_access("manager", "write")
        company, kind = self._qbo_context()
        summary = SyncSummary()
        if kind == "tax":
            links = self.env["qbo.tax.map"].search([("company_id", "=", company.id)])
        else:
            links = self.env["qbo.mapping"].search([
                ("company_id", "=", company.id), ("qbo_entity", "=", KINDS[kind].entity),
                ("res_model", "=", KINDS[kind].model),
            ])
        summary.unlinked = len(links)
        links.unlink()
        self._qbo_rebuild(company, kind)
        return self._qbo_done(summary)

    def action_refresh(self):
        """Read both sides again."""
        self._qbo_check_access("manager", "write")
        company, kind = self._qbo_context()
        self._qbo_rebuild(company, kind)
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    def action_automatch(self):
        """Open the automatch review for the rows of this screen that are not linked."""
        self._qbo_check_access("manager", "write")
        company, kind = self._qbo_context()
        wizard = self.env["qbo.automatch.wizard"].create({
            "company_id": company.id, "kind": kind, "threshold": company.qbo_automatch_threshold,
        })
        wizard.action_propose()
        return wizard._qbo_action()
