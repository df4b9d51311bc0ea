from . import test_order_estimate
from . import test_i18n
from . import test_estimate_import
