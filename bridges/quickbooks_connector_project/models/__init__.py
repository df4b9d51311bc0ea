from . import account_analytic_account
from . import qbo_expense_pull
