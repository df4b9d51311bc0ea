from . import test_projects
from . import test_i18n
