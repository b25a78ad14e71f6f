"""The one-window intake (一门受理、协同办理, seed 001): registrations, referrals to departments, the ledger."""
