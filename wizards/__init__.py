
from . import qbo_automatch_wizard
from . import qbo_automatch_wizard_line
