package diagnosis_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/jsmbot/jsmbot/diagnosis"
)

func TestNewPlan(t *testing.T) {
	t.Parallel()
	const name = "Jira Service Management Permission Scheme for Project HELP"
	broken := []edit{
		without(portal, "BROWSE_PROJECTS"),
		without(admins, "ADMINISTER_PROJECTS"),
		withGrant(7, customers, "CREATE_ISSUES"),
		withGrant(8, customers, "BROWSE_PROJECTS"),
		withGrant(9, customers, "BROWSE_PROJECTS"),
		without(team, "EDIT_ISSUES"), // a warning: never in a plan
	}
	wantAdd := []diagnosis.Grant{
		{Holder: admins, Permission: "ADMINISTER_PROJECTS"},
		{Holder: portal, Permission: "BROWSE_PROJECTS"},
	}
	wantRemove := []diagnosis.Grant{
		{ID: 8, Holder: customers, Permission: "BROWSE_PROJECTS"},
		{ID: 9, Holder: customers, Permission: "BROWSE_PROJECTS"},
		{ID: 7, Holder: customers, Permission: "CREATE_ISSUES"},
	}
	base := diagnosis.Plan{
		ProjectKey: "HELP", SchemeID: 10001, SchemeName: name,
		AddGrants: wantAdd, RemoveGrants: wantRemove, Affects: []string{},
	}
	with := func(f func(p *diagnosis.Plan)) diagnosis.Plan {
		p := base
		f(&p)
		return p
	}
	tests := []struct {
		name    string
		edits   []edit
		mode    diagnosis.Mode
		want    diagnosis.Plan
		wantErr error
	}{
		{
			name: "auto on an unshared scheme is in place", edits: broken, mode: diagnosis.ModeAuto,
			want: with(func(p *diagnosis.Plan) { p.Mode = diagnosis.ModeInPlace }),
		},
		{
			name: "auto on a shared scheme is a copy", edits: append(broken, sharedWith("ZED", "OPS")),
			mode: diagnosis.ModeAuto,
			want: with(func(p *diagnosis.Plan) { p.Mode = diagnosis.ModeCopy; p.CopyName = name + " 2" }),
		},
		{
			name: "auto ignores the project's own key in SharedWith", edits: append(broken, sharedWith("HELP")),
			mode: diagnosis.ModeAuto,
			want: with(func(p *diagnosis.Plan) { p.Mode = diagnosis.ModeInPlace }),
		},
		{
			name:  "in place on a shared scheme lists the projects, sorted and once",
			edits: append(broken, sharedWith("ZED", "OPS", "ZED", "HELP")), mode: diagnosis.ModeInPlace,
			want: with(func(p *diagnosis.Plan) { p.Mode = diagnosis.ModeInPlace; p.Affects = []string{"OPS", "ZED"} }),
		},
		{
			name: "copy on an unshared scheme", edits: broken, mode: diagnosis.ModeCopy,
			want: with(func(p *diagnosis.Plan) { p.Mode = diagnosis.ModeCopy; p.CopyName = name + " 2" }),
		},
		{
			name: "copy name skips taken names",
			edits: append(broken, func(s *diagnosis.Snapshot) {
				s.SchemeNames = append(s.SchemeNames, name+" 2", strings.ToUpper(name+" 3"), name+" 5")
			}),
			mode: diagnosis.ModeCopy,
			want: with(func(p *diagnosis.Plan) { p.Mode = diagnosis.ModeCopy; p.CopyName = name + " 4" }),
		},
		{
			name: "portal access only", edits: []edit{without(portal, "CREATE_ISSUES")}, mode: diagnosis.ModeAuto,
			want: with(func(p *diagnosis.Plan) {
				p.Mode = diagnosis.ModeInPlace
				p.AddGrants = []diagnosis.Grant{{Holder: portal, Permission: "CREATE_ISSUES"}}
				p.RemoveGrants = []diagnosis.Grant{}
			}),
		},
		{
			name: "customers role only", edits: []edit{withGrant(7, customers, "CREATE_ISSUES")},
			mode: diagnosis.ModeAuto,
			want: with(func(p *diagnosis.Plan) {
				p.Mode = diagnosis.ModeInPlace
				p.AddGrants = []diagnosis.Grant{}
				p.RemoveGrants = []diagnosis.Grant{{ID: 7, Holder: customers, Permission: "CREATE_ISSUES"}}
			}),
		},
		{
			name: "healthy", mode: diagnosis.ModeAuto, wantErr: diagnosis.ErrNothingToRepair,
		},
		{
			name: "warnings only", edits: []edit{without(team, "EDIT_ISSUES"), withoutRole("Administrators")},
			mode: diagnosis.ModeAuto, wantErr: diagnosis.ErrNothingToRepair,
		},
		{
			name: "software project", edits: []edit{project("software", false), without(portal, "CREATE_ISSUES")},
			mode: diagnosis.ModeAuto, wantErr: diagnosis.ErrNotApplicable,
		},
		{
			name: "team-managed", edits: []edit{project("service_desk", true)},
			mode: diagnosis.ModeCopy, wantErr: diagnosis.ErrNotApplicable,
		},
		{
			name: "unknown mode", edits: broken, mode: "sideways", wantErr: diagnosis.ErrUnknownMode,
		},
		{
			name: "empty mode", edits: broken, mode: "", wantErr: diagnosis.ErrUnknownMode,
		},
		{
			name: "unknown mode wins over not applicable", edits: []edit{project("software", false)},
			mode: "Copy", wantErr: diagnosis.ErrUnknownMode,
		},
	}
	ignore := cmpopts.IgnoreFields(diagnosis.Plan{}, "ID", "Digest")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := snapshotWith(t, tt.edits...)
			got, err := diagnosis.NewPlan(s, tt.mode)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("NewPlan error: got %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				if diff := cmp.Diff(diagnosis.Plan{}, got); diff != "" {
					t.Errorf("plan with an error is not zero (-want +got):\n%s", diff)
				}
				return
			}
			if diff := cmp.Diff(tt.want, got, ignore); diff != "" {
				t.Errorf("plan mismatch (-want +got):\n%s", diff)
			}
			if got.Digest != diagnosis.Digest(s) {
				t.Errorf("Digest: got %q, want Digest(s) %q", got.Digest, diagnosis.Digest(s))
			}
			if !regexp.MustCompile(`^[0-9a-f]{12}$`).MatchString(got.ID) {
				t.Errorf("ID: got %q, want 12 hex digits", got.ID)
			}
		})
	}
}

// TestNewPlanRepairs checks the plan's promise: applying it leaves no
// critical finding, and every warning survives (warnings are not repaired).
func TestNewPlanRepairs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		edits []edit
	}{
		{"portal access", []edit{without(portal, "BROWSE_PROJECTS"), without(portal, "CREATE_ISSUES")}},
		{"customers role", []edit{withGrant(1, customers, "BROWSE_PROJECTS"), withGrant(2, customers, "BROWSE_PROJECTS")}},
		{"administrators", []edit{without(admins, "ADMINISTER_PROJECTS")}},
		{"everything and drift", []edit{
			without(portal, "BROWSE_PROJECTS"), without(admins, "ADMINISTER_PROJECTS"),
			withGrant(1, customers, "CREATE_ISSUES"), without(team, "EDIT_ISSUES"), without(portal, "ADD_COMMENTS"),
		}},
		{"empty scheme", []edit{func(s *diagnosis.Snapshot) { s.Scheme.Grants = nil }}},
	}
	for _, tt := range tests {
		for _, mode := range []diagnosis.Mode{diagnosis.ModeInPlace, diagnosis.ModeCopy} {
			t.Run(tt.name+"/"+string(mode), func(t *testing.T) {
				t.Parallel()
				s := snapshotWith(t, tt.edits...)
				before := diagnosis.Diagnose(s)
				p, err := diagnosis.NewPlan(s, mode)
				if err != nil {
					t.Fatal(err)
				}
				after := s
				after.Scheme.Grants = diagnosis.ApplyTo(s.Scheme.Grants, p)
				got := diagnosis.Diagnose(after)
				if !got.Healthy {
					t.Errorf("after the plan: got unhealthy, findings %v", brief(got.Findings))
				}
				var wantWarnings []string
				for _, f := range before.Findings {
					if f.Severity == diagnosis.Warning {
						wantWarnings = append(wantWarnings, f.Rule+" "+f.HolderName+" "+f.Permission)
					}
				}
				var gotWarnings []string
				for _, f := range got.Findings {
					if f.Severity == diagnosis.Warning {
						gotWarnings = append(gotWarnings, f.Rule+" "+f.HolderName+" "+f.Permission)
					}
				}
				if diff := cmp.Diff(wantWarnings, gotWarnings); diff != "" {
					t.Errorf("warnings changed by the plan (-want +got):\n%s", diff)
				}
				if _, err := diagnosis.NewPlan(after, mode); !errors.Is(err, diagnosis.ErrNothingToRepair) {
					t.Errorf("planning again: got %v, want ErrNothingToRepair", err)
				}
			})
		}
	}
}

func TestPlanID(t *testing.T) {
	t.Parallel()
	s := snapshotWith(t, without(portal, "CREATE_ISSUES"), sharedWith("OPS"))
	plan := func(t *testing.T, s diagnosis.Snapshot, m diagnosis.Mode) diagnosis.Plan {
		t.Helper()
		p, err := diagnosis.NewPlan(s, m)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	inPlace := plan(t, s, diagnosis.ModeInPlace)
	if again := plan(t, s, diagnosis.ModeInPlace); again.ID != inPlace.ID {
		t.Errorf("same snapshot and mode: got IDs %q and %q, want equal", inPlace.ID, again.ID)
	}
	if auto := plan(t, s, diagnosis.ModeAuto); auto.ID != plan(t, s, diagnosis.ModeCopy).ID {
		t.Errorf("auto resolving to copy: got ID %q, want the copy plan's", auto.ID)
	}
	ids := map[string]string{"in-place": inPlace.ID}
	others := map[string]diagnosis.Plan{
		"copy":             plan(t, s, diagnosis.ModeCopy),
		"other grants":     plan(t, snapshotWith(t, without(portal, "BROWSE_PROJECTS"), sharedWith("OPS")), diagnosis.ModeInPlace),
		"other scheme":     plan(t, snapshotWith(t, without(portal, "CREATE_ISSUES"), sharedWith("OPS"), func(s *diagnosis.Snapshot) { s.Scheme.ID = 2 }), diagnosis.ModeInPlace),
		"other affects":    plan(t, snapshotWith(t, without(portal, "CREATE_ISSUES"), sharedWith("OPS", "HR")), diagnosis.ModeInPlace),
		"other copy name":  plan(t, snapshotWith(t, without(portal, "CREATE_ISSUES"), sharedWith("OPS"), func(s *diagnosis.Snapshot) { s.SchemeNames = append(s.SchemeNames, s.Scheme.Name+" 2") }), diagnosis.ModeCopy),
		"other removal id": plan(t, snapshotWith(t, without(portal, "CREATE_ISSUES"), sharedWith("OPS"), withGrant(5, customers, "ADD_COMMENTS")), diagnosis.ModeInPlace),
	}
	for name, p := range others {
		for seen, id := range ids {
			if p.ID == id {
				t.Errorf("%s and %s plans share ID %q", name, seen, id)
			}
		}
		ids[name] = p.ID
	}
}

func TestParseMode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    diagnosis.Mode
		wantErr bool
	}{
		{in: "auto", want: diagnosis.ModeAuto},
		{in: "in-place", want: diagnosis.ModeInPlace},
		{in: "copy", want: diagnosis.ModeCopy},
		{in: "  Copy\n", want: diagnosis.ModeCopy},
		{in: "IN-PLACE", want: diagnosis.ModeInPlace},
		{in: "", wantErr: true},
		{in: "inplace", wantErr: true},
		{in: "in place", wantErr: true},
		{in: "copy!", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := diagnosis.ParseMode(tt.in)
			if tt.wantErr {
				if !errors.Is(err, diagnosis.ErrUnknownMode) {
					t.Fatalf("ParseMode(%q) error: got %v, want ErrUnknownMode", tt.in, err)
				}
				for _, valid := range []string{"auto", "in-place", "copy"} {
					if !strings.Contains(err.Error(), valid) {
						t.Errorf("error %q does not name %q", err, valid)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseMode(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseMode(%q): got %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzParseMode(f *testing.F) {
	for _, s := range []string{"auto", "in-place", "copy", " COPY ", "", "inplace", "\x00", "in-place\u00a0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := diagnosis.ParseMode(s)
		if err != nil {
			if !errors.Is(err, diagnosis.ErrUnknownMode) {
				t.Fatalf("ParseMode(%q) error %v does not wrap ErrUnknownMode", s, err)
			}
			if m != "" {
				t.Fatalf("ParseMode(%q) returned mode %q with an error", s, m)
			}
			return
		}
		switch m {
		case diagnosis.ModeAuto, diagnosis.ModeInPlace, diagnosis.ModeCopy:
		default:
			t.Fatalf("ParseMode(%q) = %q, not a mode", s, m)
		}
		if again, err := diagnosis.ParseMode(string(m)); err != nil || again != m {
			t.Fatalf("ParseMode(%q) = %q, %v; want it to parse its own output", m, again, err)
		}
	})
}

func TestDigest(t *testing.T) {
	t.Parallel()
	base := snapshotWith(t)
	want := diagnosis.Digest(base)
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(want) {
		t.Fatalf("Digest: got %q, want 64 hex digits", want)
	}
	reversed := func(s *diagnosis.Snapshot) {
		gs := make([]diagnosis.Grant, len(s.Scheme.Grants))
		for i, g := range s.Scheme.Grants {
			gs[len(gs)-1-i] = g
		}
		s.Scheme.Grants = gs
	}
	renumbered := func(s *diagnosis.Snapshot) {
		gs := make([]diagnosis.Grant, len(s.Scheme.Grants))
		for i, g := range s.Scheme.Grants {
			g.ID += 5000
			gs[i] = g
		}
		s.Scheme.Grants = gs
	}
	tests := []struct {
		name  string
		edits []edit
		same  bool
	}{
		{name: "grant order", edits: []edit{reversed}, same: true},
		{name: "grant ids", edits: []edit{renumbered}, same: true},
		{name: "re-created grant", edits: []edit{without(portal, "CREATE_ISSUES"), withGrant(99999, portal, "CREATE_ISSUES")}, same: true},
		{name: "duplicate grant", edits: []edit{withGrant(1, portal, "CREATE_ISSUES")}, same: true},
		{name: "things the digest does not cover", same: true, edits: []edit{sharedWith("OPS"), func(s *diagnosis.Snapshot) {
			s.SchemeNames = nil
			s.Scheme.Name = "renamed"
			s.Project.Name = "renamed"
		}}},
		{name: "grant removed", edits: []edit{without(portal, "CREATE_ISSUES")}},
		{name: "grant added", edits: []edit{withGrant(1, customers, "CREATE_ISSUES")}},
		{name: "grant moved to another holder", edits: []edit{without(team, "EDIT_ISSUES"), withGrant(1, customers, "EDIT_ISSUES")}},
		{name: "parameter changed", edits: []edit{without(team, "EDIT_ISSUES"), withGrant(1, diagnosis.Holder{Type: "projectRole", Parameter: "10006"}, "EDIT_ISSUES")}},
		{name: "scheme id", edits: []edit{func(s *diagnosis.Snapshot) { s.Scheme.ID = 10002 }}},
		{name: "project id", edits: []edit{func(s *diagnosis.Snapshot) { s.Project.ID = "10011" }}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := diagnosis.Digest(snapshotWith(t, tt.edits...))
			if same := got == want; same != tt.same {
				t.Errorf("digest equal to the base's: got %v, want %v", same, tt.same)
			}
		})
	}
}

func TestApplyTo(t *testing.T) {
	t.Parallel()
	g := func(id int64, h diagnosis.Holder, perm string) diagnosis.Grant {
		return diagnosis.Grant{ID: id, Holder: h, Permission: perm}
	}
	group := diagnosis.Holder{Type: "group", Parameter: "agents"}
	tests := []struct {
		name   string
		grants []diagnosis.Grant
		plan   diagnosis.Plan
		want   []diagnosis.Grant
	}{
		{
			name: "empty", want: []diagnosis.Grant{},
		},
		{
			name:   "nothing to do sorts",
			grants: []diagnosis.Grant{g(3, team, "EDIT_ISSUES"), g(2, portal, "ADD_COMMENTS"), g(1, group, "BROWSE_PROJECTS")},
			want:   []diagnosis.Grant{g(1, group, "BROWSE_PROJECTS"), g(3, team, "EDIT_ISSUES"), g(2, portal, "ADD_COMMENTS")},
		},
		{
			name:   "adds and removes",
			grants: []diagnosis.Grant{g(1, customers, "BROWSE_PROJECTS"), g(2, team, "EDIT_ISSUES"), g(3, customers, "BROWSE_PROJECTS")},
			plan: diagnosis.Plan{
				AddGrants:    []diagnosis.Grant{g(0, portal, "BROWSE_PROJECTS")},
				RemoveGrants: []diagnosis.Grant{g(1, customers, "BROWSE_PROJECTS")},
			},
			want: []diagnosis.Grant{g(2, team, "EDIT_ISSUES"), g(0, portal, "BROWSE_PROJECTS")},
		},
		{
			name:   "removal matches on holder and permission, not id",
			grants: []diagnosis.Grant{g(1, customers, "BROWSE_PROJECTS"), g(2, customers, "CREATE_ISSUES")},
			plan:   diagnosis.Plan{RemoveGrants: []diagnosis.Grant{g(42, customers, "CREATE_ISSUES")}},
			want:   []diagnosis.Grant{g(1, customers, "BROWSE_PROJECTS")},
		},
		{
			name:   "an add already present keeps the existing grant",
			grants: []diagnosis.Grant{g(5, portal, "BROWSE_PROJECTS")},
			plan:   diagnosis.Plan{AddGrants: []diagnosis.Grant{g(0, portal, "BROWSE_PROJECTS")}},
			want:   []diagnosis.Grant{g(5, portal, "BROWSE_PROJECTS")},
		},
		{
			name:   "duplicates are kept once, with the lowest id",
			grants: []diagnosis.Grant{g(9, team, "EDIT_ISSUES"), g(4, team, "EDIT_ISSUES")},
			want:   []diagnosis.Grant{g(4, team, "EDIT_ISSUES")},
		},
		{
			name: "added grants carry no id",
			plan: diagnosis.Plan{AddGrants: []diagnosis.Grant{g(77, admins, "ADMINISTER_PROJECTS")}},
			want: []diagnosis.Grant{g(0, admins, "ADMINISTER_PROJECTS")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := append([]diagnosis.Grant(nil), tt.grants...)
			got := diagnosis.ApplyTo(tt.grants, tt.plan)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ApplyTo mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(in, tt.grants); diff != "" {
				t.Errorf("ApplyTo modified its input (-want +got):\n%s", diff)
			}
		})
	}
}
