package diagnosis_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jsmbot/jsmbot/diagnosis"
)

// Role ids of the site the default scheme fixture comes from (reference
// §5.1); the Service Desk Customers id is made up, the site's was not
// captured.
const (
	idAdministrators = "10002"
	idAddons         = "10003"
	idCustomers      = "10004"
	idTeam           = "10005"
)

// defaultFixture reads the default JSM grants of reference §5.1 from
// testdata, a copy of shared/testdata/jira-samples/derived-jsm-default-scheme-
// grants-2021.json. It is independent of the package's own table, so the
// two check each other.
func defaultFixture(t *testing.T) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "jsm-default-scheme-grants-2021.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Holders map[string][]string `json:"holders"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f.Holders
}

// defaultSnapshot is a healthy company-managed service project HELP whose
// scheme holds exactly the JSM default grants (including the
// atlassian-addons-project-access role), with ids like Jira's.
func defaultSnapshot(t *testing.T) diagnosis.Snapshot {
	t.Helper()
	holders := map[string]diagnosis.Holder{
		"projectRole:Administrators":                  {Type: "projectRole", Parameter: idAdministrators},
		"projectRole:Service Desk Team":               {Type: "projectRole", Parameter: idTeam},
		"projectRole:atlassian-addons-project-access": {Type: "projectRole", Parameter: idAddons},
		"sd.customer.portal.only":                     {Type: "sd.customer.portal.only"},
	}
	fixture := defaultFixture(t)
	names := make([]string, 0, len(fixture))
	for name := range fixture {
		names = append(names, name)
	}
	slices.Sort(names)
	var grants []diagnosis.Grant
	id := int64(10400)
	for _, name := range names {
		h, ok := holders[name]
		if !ok {
			t.Fatalf("fixture holder %q has no mapping", name)
		}
		for _, perm := range fixture[name] {
			grants = append(grants, diagnosis.Grant{ID: id, Holder: h, Permission: perm})
			id++
		}
	}
	return diagnosis.Snapshot{
		Project: diagnosis.Project{ID: "10010", Key: "HELP", Name: "Help Desk", TypeKey: "service_desk"},
		Scheme: diagnosis.Scheme{
			ID:     10001,
			Name:   "Jira Service Management Permission Scheme for Project HELP",
			Grants: grants,
		},
		Roles: map[string]string{
			"Administrators":                  idAdministrators,
			"atlassian-addons-project-access": idAddons,
			"Service Desk Customers":          idCustomers,
			"Service Desk Team":               idTeam,
		},
		SchemeNames: []string{
			"Default Permission Scheme",
			"Jira Service Management Permission Scheme for Project HELP",
		},
	}
}

// edit is a change to a snapshot, for building table rows from the default.
type edit func(s *diagnosis.Snapshot)

func snapshotWith(t *testing.T, edits ...edit) diagnosis.Snapshot {
	t.Helper()
	s := defaultSnapshot(t)
	for _, e := range edits {
		e(&s)
	}
	return s
}

// without removes every grant of perm to h.
func without(h diagnosis.Holder, perm string) edit {
	return func(s *diagnosis.Snapshot) {
		s.Scheme.Grants = slices.DeleteFunc(slices.Clone(s.Scheme.Grants), func(g diagnosis.Grant) bool {
			return g.Holder == h && g.Permission == perm
		})
	}
}

// withGrant adds a grant of perm to h with the given id.
func withGrant(id int64, h diagnosis.Holder, perm string) edit {
	return func(s *diagnosis.Snapshot) {
		s.Scheme.Grants = append(slices.Clone(s.Scheme.Grants), diagnosis.Grant{ID: id, Holder: h, Permission: perm})
	}
}

// withoutRole removes a role from the site.
func withoutRole(name string) edit {
	return func(s *diagnosis.Snapshot) {
		roles := make(map[string]string, len(s.Roles))
		for n, id := range s.Roles {
			if n != name {
				roles[n] = id
			}
		}
		s.Roles = roles
	}
}

func sharedWith(keys ...string) edit {
	return func(s *diagnosis.Snapshot) { s.SharedWith = keys }
}

func project(typeKey string, teamManaged bool) edit {
	return func(s *diagnosis.Snapshot) {
		s.Project.TypeKey = typeKey
		s.Project.TeamManaged = teamManaged
	}
}

var (
	portal    = diagnosis.Holder{Type: "sd.customer.portal.only"}
	admins    = diagnosis.Holder{Type: "projectRole", Parameter: idAdministrators}
	team      = diagnosis.Holder{Type: "projectRole", Parameter: idTeam}
	customers = diagnosis.Holder{Type: "projectRole", Parameter: idCustomers}
)

// brief renders findings one per line, "severity rule holder permission",
// for table rows; the full words are checked by the golden files.
func brief(fs []diagnosis.Finding) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, strings.TrimSpace(strings.Join(
			[]string{string(f.Severity), f.Rule, f.HolderName + ":", f.Permission}, " ")))
	}
	return out
}
