"""ap: alternative provision case records for an English primary school."""

import os

__version__ = "0.1.0"

# No pydantic plugin sees a case: one installed beside ap (an observability one such as logfire) is handed
# every model validated, pupils' details and all, and may send them over the network. Set before any model
# is made (pydantic reads it then); it also spares the search of every installed package's entry points.
os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"
