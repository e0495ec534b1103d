package diagnosis

// HolderName says who h is in words, as findings do: the Portal Access
// security type's name, "<name> role" for a role found in roles (name →
// id), or the raw type and parameter otherwise. Every front end names
// holders through it, so they all say the same thing.
func HolderName(h Holder, roles map[string]string) string {
	return newFacts(Snapshot{Roles: roles}).holderName(h)
}

// Counts returns how many of the report's findings are critical and how
// many are warnings.
func (r Report) Counts() (critical, warnings int) {
	for _, f := range r.Findings {
		switch f.Severity {
		case Critical:
			critical++
		case Warning:
			warnings++
		}
	}
	return critical, warnings
}
