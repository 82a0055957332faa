"""sfp's YAML config: the layers and how they merge, what each file may hold, and the YAML-subset parser."""
