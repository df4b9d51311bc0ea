import { Component, onWillStart, useState } from "@odoo/owl";
import { useService } from "@web/core/utils/hooks";
import { DashboardKanbanRenderer } from "@account/views/account_dashboard_kanban/account_dashboard_kanban_renderer";

/**
 * The QuickBooks card of each connected company on the Accounting dashboard, beside the journal
 * cards. The server counts each figure by the domain of the list it opens (qbo.dashboard), so a
 * click shows exactly the records counted.
 */
export class QboDashboardCards extends Component {
    static template = "quickbooks_connector.DashboardCards";
    static props = {};

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.state = useState({ cards: [] });
        onWillStart(async () => {
            this.state.cards = await this.orm.call("qbo.dashboard", "qbo_dashboard_cards", []);
        });
    }

    open(action) {
        if (action) {
            this.action.doAction(action);
        }
    }
}

DashboardKanbanRenderer.components = { ...DashboardKanbanRenderer.components, QboDashboardCards };
