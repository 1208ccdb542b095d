package routes

// ProfileError is a profile that does not load: the upstream's profile setting is wrong,
// not its rows.
type ProfileError struct{ Err error }

func (e *ProfileError) Error() string { return e.Err.Error() }
func (e *ProfileError) Unwrap() error { return e.Err }

// Build is the one way to turn an upstream's route settings into a table: the built-in
// profile named profile with overrides applied (see Compile). With no profile the table
// holds only the overrides, under the upstream's name. A profile that does not load is
// reported as a *ProfileError; row problems as Compile reports them.
func Build(profile, upstream string, overrides []Spec) (*Table, error) {
	p := &Profile{Name: upstream}
	if profile != "" {
		var err error
		if p, err = LoadProfile(profile); err != nil {
			return nil, &ProfileError{Err: err}
		}
	}
	return Compile(p, overrides)
}

// Profile is the profile the table was compiled from (its budget and auth defaults).
// It is shared: do not change it.
func (t *Table) Profile() *Profile { return t.profile }
