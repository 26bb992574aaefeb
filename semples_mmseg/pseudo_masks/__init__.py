"""CAMs -> pseudo masks: the streaming export, label maps, the dense CRF,
SAM-based seeding (``sam_seeds``) and its region masks."""
from .sam_seeding import sam_seeds

__all__ = ['sam_seeds']
