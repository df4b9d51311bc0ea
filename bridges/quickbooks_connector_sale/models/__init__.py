from . import qbo_event_processor
from . import qbo_move_export
from . import qbo_order_export
from . import qbo_webhook_event
from . import res_company
from . import sale_order
from . import sale_order_line
