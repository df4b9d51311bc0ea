
from . import qbo_automatch_wizard
from . import qbo_automatch_wizard_line
from . import qbo_preview_wizard
from . import qbo_preview_line
from . import qbo_mapping_confirm
from . import qbo_bulk_confirm
from . import qbo_import_wizard
from . import qbo_books_repair
