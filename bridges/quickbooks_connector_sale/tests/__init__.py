from . import test_order_estimate
