import { onWillUnmount } from "@odoo/owl";
import { FormController } from "@web/views/form/form_controller";
import { ListController } from "@web/views/list/list_controller";
import { patch } from "@web/core/utils/patch";

// Sent by the export engine when a background export changed QuickBooks states (const.py).
const REFRESH_NOTIFICATION = "quickbooks_connector/refresh";

/**
 * Reload what the view shows when QuickBooks states of its model's records changed in the
 * background, so that badges tell the truth without a manual reload. Nothing is reloaded while
 * the user edits: their changes come first.
 */
function useQuickBooksRefresh(controller, reload) {
    const bus = controller.env.services.bus_service;
    if (!bus) {
        return;
    }
    const onRefresh = ({ model }) => {
        if (model === controller.props.resModel) {
            reload();
        }
    };
    bus.subscribe(REFRESH_NOTIFICATION, onRefresh);
    onWillUnmount(() => bus.unsubscribe(REFRESH_NOTIFICATION, onRefresh));
}

patch(ListController.prototype, {
    setup() {
        super.setup(...arguments);
        useQuickBooksRefresh(this, () => {
            if (!this.model.root.editedRecord) {
                this.model.load();
            }
        });
    },
});

patch(FormController.prototype, {
    setup() {
        super.setup(...arguments);
        useQuickBooksRefresh(this, async () => {
            const record = this.model.root;
            if (record.resId && !(await record.isDirty())) {
                record.load();
            }
        });
    },
});
