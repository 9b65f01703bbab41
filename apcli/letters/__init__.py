"""Letters, one way: what each letter says (`plans`), rendering it from the school's or the shipped template
in a sandbox (`render`), and giving it: writing the files and recording the notice (`sending`)."""
