from . import account_analytic_line
from . import qbo_move_export
from . import qbo_timesheet_export
from . import res_company
