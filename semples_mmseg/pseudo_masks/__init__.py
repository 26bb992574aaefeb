"""CAMs -> pseudo masks: the streaming export, label maps, the dense CRF."""
