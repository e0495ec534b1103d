package diagnosis_test

import (
	"fmt"

	"github.com/jsmbot/jsmbot/diagnosis"
)

// exampleSnapshot is a service project whose scheme has the default grants
// except Create Issues for Portal Access, plus a grant to the Service Desk
// Customers role.
func exampleSnapshot() diagnosis.Snapshot {
	roles := map[string]string{
		diagnosis.RoleAdministrators:   "10002",
		diagnosis.RoleServiceDeskTeam:  "10005",
		diagnosis.RoleServiceDeskCusts: "10004",
	}
	holders := map[string]diagnosis.Holder{
		diagnosis.RoleAdministrators:  {Type: diagnosis.HolderProjectRole, Parameter: "10002"},
		diagnosis.RoleServiceDeskTeam: {Type: diagnosis.HolderProjectRole, Parameter: "10005"},
		diagnosis.PortalAccessName:    {Type: diagnosis.HolderPortalAccess},
	}
	var grants []diagnosis.Grant
	id := int64(10400)
	for _, name := range []string{diagnosis.RoleAdministrators, diagnosis.RoleServiceDeskTeam, diagnosis.PortalAccessName} {
		for _, perm := range diagnosis.DefaultGrants()[name] {
			if name == diagnosis.PortalAccessName && perm == diagnosis.PermCreateIssues {
				continue
			}
			grants = append(grants, diagnosis.Grant{ID: id, Holder: holders[name], Permission: perm})
			id++
		}
	}
	grants = append(grants, diagnosis.Grant{
		ID:         10500,
		Holder:     diagnosis.Holder{Type: diagnosis.HolderProjectRole, Parameter: "10004"},
		Permission: diagnosis.PermBrowseProjects,
	})
	return diagnosis.Snapshot{
		Project: diagnosis.Project{ID: "10010", Key: "HELP", Name: "Help Desk", TypeKey: "service_desk"},
		Scheme: diagnosis.Scheme{
			ID:     10001,
			Name:   "Jira Service Management Permission Scheme for Project HELP",
			Grants: grants,
		},
		Roles:       roles,
		SharedWith:  []string{"OPS"},
		SchemeNames: []string{"Jira Service Management Permission Scheme for Project HELP"},
	}
}

func ExampleDiagnose() {
	r := diagnosis.Diagnose(exampleSnapshot())
	fmt.Println("healthy:", r.Healthy)
	for _, f := range r.Findings {
		fmt.Printf("%s %s: %s\n", f.Severity, f.Rule, f.Summary)
	}
	// Output:
	// healthy: false
	// critical portal-access: Service Project Customer - Portal Access lacks "Create Issues" (CREATE_ISSUES).
	// critical customers-role: The Service Desk Customers role is granted "Browse Projects" (BROWSE_PROJECTS).
}

func ExampleNewPlan() {
	s := exampleSnapshot()
	p, err := diagnosis.NewPlan(s, diagnosis.ModeAuto)
	if err != nil {
		fmt.Println(err)
		return
	}
	// The scheme is shared with OPS, so auto copies it, as Jira's own
	// "Fix permissions" button does.
	fmt.Println("mode:", p.Mode)
	fmt.Println("copy:", p.CopyName)
	for _, g := range p.AddGrants {
		fmt.Println("add:", g.Holder.Type, g.Permission)
	}
	for _, g := range p.RemoveGrants {
		fmt.Println("remove:", g.ID, g.Holder.Type, g.Holder.Parameter, g.Permission)
	}
	after := s
	after.Scheme.Grants = diagnosis.ApplyTo(s.Scheme.Grants, p)
	fmt.Println("healthy after:", diagnosis.Diagnose(after).Healthy)
	// Output:
	// mode: copy
	// copy: Jira Service Management Permission Scheme for Project HELP 2
	// add: sd.customer.portal.only CREATE_ISSUES
	// remove: 10500 projectRole 10004 BROWSE_PROJECTS
	// healthy after: true
}
