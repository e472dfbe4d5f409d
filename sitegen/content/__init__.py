"""Content files to a frozen site model: sources → validate → model (and its update after an edit); `load` runs the stage."""
