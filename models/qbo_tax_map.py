from odoo import api, fields, models

US_LINE_CODES = ("TAX", "NON")


class QboTaxMap(models.Model):
    """Which QuickBooks tax code an Odoo tax becomes; several Odoo taxes may share one code.

    Non-US QuickBooks companies put a TaxCode Id on each line (``qbo_tax_code_id``). US companies
    put ``TAX`` or ``NON`` on each line (``qbo_line_code``) and one sales-tax code on the whole
    transaction (``qbo_tax_code_id``, empty for ``NON``).
    """

    _name = "qbo.tax.map"
    _description = "QuickBooks Tax Mapping"
    _order = "company_id, tax_id"
    _check_company_auto = True

    company_id = fields.Many2one(
        "res.company", string="Company", required=True, index=True, ondelete="cascade",
        default=lambda self: self.env.company,
    )
    tax_id = fields.Many2one(
        "account.tax", string="Odoo Tax", required=True, ondelete="cascade", check_company=True, index=True,
    )
    qbo_tax_code_id = fields.Char(string="QuickBooks Tax Code ID")
    qbo_tax_code_name = fields.Char(string="QuickBooks Tax Code")
    qbo_line_code = fields.Selection(
        [("TAX", "Taxable (TAX)"), ("NON", "Not taxable (NON)")], string="US Line Code",
        help="US companies only: the code sent on each line; the sales-tax code goes on the transaction.",
    )

    _sql_constraints = [
        ("tax_unique", "unique(company_id, tax_id)", "This Odoo tax is already mapped to a QuickBooks tax code."),
    ]

    @api.model
    def _qbo_maps_for(self, company, taxes):
        """Return ``{tax_id: qbo.tax.map}`` for the mapped ``taxes`` of ``company`` (one query)."""
        maps = self.search([("company_id", "=", company.id), ("tax_id", "in", taxes.ids)])
        return {tax_map.tax_id.id: tax_map for tax_map in maps}

    @api.model
    def _qbo_link(self, company, tax, qbo_card, us_company):
        """Map ``tax`` to the QuickBooks tax code described by ``qbo_card`` (replacing its mapping).

        :param dict qbo_card: ``{"id", "name"}`` of the QuickBooks TaxCode
        :param bool us_company: whether the QuickBooks company uses the US sales-tax model
        """
        values = {"qbo_tax_code_id": qbo_card["id"], "qbo_tax_code_name": qbo_card["name"], "qbo_line_code": False}
        if us_company:
            if qbo_card["id"] in US_LINE_CODES:
                values.update(qbo_line_code=qbo_card["id"], qbo_tax_code_id=False)
            else:
                values["qbo_line_code"] = "TAX"
        existing = self.search([("company_id", "=", company.id), ("tax_id", "=", tax.id)])
        if existing:
            existing.write(values)
            return existing
        return self.create({**values, "company_id": company.id, "tax_id": tax.id})
