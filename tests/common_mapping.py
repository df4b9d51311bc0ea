from .common import QboTestCommon


class QboMappingCommon(QboTestCommon):
    """Helpers to drive the mapping screens as a QuickBooks manager and to look into QuickBooks."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.qbo_user = cls._qbo_new_user("qbo_reader", "base.group_user,quickbooks_connector.group_qbo_user")
        # Importing contacts creates them with the manager's own rights.
        cls.qbo_manager.groups_id += cls.env.ref("base.group_partner_manager")

    @property
    def client(self):
        return self.company._qbo_get_client()

    def qbo_create(self, entity, payload):
        """Create a record in QuickBooks over HTTP, as another QuickBooks user would."""
        return self.client.create(entity, payload)

    def qbo_records(self, entity, **where):
        """Return the QuickBooks records of ``entity`` (active or not) matching ``where`` exactly."""
        return [doc for doc in self.qbo_sandbox_company.all(entity)
                if all(doc.get(key) == value for key, value in where.items())]

    def open_screen(self, kind, user=None):
        lines = self.env["qbo.mapping.line"].with_user(user or self.qbo_manager).with_company(self.company)
        action = lines.action_open_screen(kind)
        return lines.search(action["domain"] + [("kind", "=", kind)])

    def rows(self, kind, user=None, **where):
        lines = self.env["qbo.mapping.line"].with_user(user or self.qbo_manager)
        domain = [("kind", "=", kind), ("company_id", "=", self.company.id)]
        return lines.search(domain + [(key, "=", value) for key, value in where.items()])

    def mapping(self, record, entity):
        return self.env["qbo.mapping"].search([
            ("company_id", "=", self.company.id), ("res_model", "=", record._name), ("res_id", "=", record.id),
            ("qbo_entity", "=", entity),
        ])

    def new_partner(self, name, **values):
        return self.env["res.partner"].create({"name": name, "is_company": True, **values})
