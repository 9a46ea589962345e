"""Parts of the lab: each builds one kind of real component inside lab machines."""
