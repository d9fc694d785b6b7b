"""Storage: tables, migrations, stores and the document store."""

# The inbox table lives in its own module; importing it here puts it on the shared metadata
# whenever the storage package is used (the migrations compare against that metadata).
from sopbot.storage import inbox_models as inbox_models
from sopbot.storage import worker_models as worker_models
