package jirasim

import "slices"

// permissionDef is one entry of the site's permission catalogue, in the shape
// of GET /rest/api/3/mypermissions (UserPermission).
type permissionDef struct {
	ID, Key, Name, Type, Description string
}

// Permission types.
const (
	permGlobal  = "GLOBAL"
	permProject = "PROJECT"
)

// Holder types used by the simulator (reference §3).
const (
	holderPortalAccess    = "sd.customer.portal.only"
	holderProjectRole     = "projectRole"
	holderApplicationRole = "applicationRole"
)

// knownHolderTypes are the holder type strings the Cloud spec lists; POST of
// a grant with any other type is a 400.
func knownHolderTypes() []string {
	return []string{
		"anyone", holderApplicationRole, "assignee", "group", "groupCustomField",
		"projectLead", holderProjectRole, "reporter", holderPortalAccess, "user",
		"userCustomField",
	}
}

// parameterHolderTypes need a parameter; the others take none.
func parameterHolderTypes() []string {
	return []string{"group", "groupCustomField", holderProjectRole, "user", "userCustomField"}
}

// permissionCatalogue lists the global and project permissions the simulator
// knows. The numeric ids of Jira's built-in permissions are Jira's own; the
// ids of app-provided ones (JSM, Jira Software, insights) are made up.
func permissionCatalogue() []permissionDef {
	return []permissionDef{
		// Global.
		{"0", "ADMINISTER", "Administer Jira", permGlobal, "Create and administer projects, issue types, fields, workflows, and schemes for all projects."},
		{"44", "SYSTEM_ADMIN", "Administer Jira system", permGlobal, "Configure system-wide settings."},
		{"27", "USER_PICKER", "Browse users and groups", permGlobal, "View and select users or groups from the user picker."},
		{"22", "CREATE_SHARED_OBJECTS", "Share dashboards and filters", permGlobal, "Share dashboards and filters with other users."},
		{"24", "MANAGE_GROUP_FILTER_SUBSCRIPTIONS", "Manage group filter subscriptions", permGlobal, "Create and delete group filter subscriptions."},
		{"33", "BULK_CHANGE", "Make bulk changes", permGlobal, "Modify collections of issues at once."},
		{"10011", "CREATE_PROJECT", "Create team-managed projects", permGlobal, "Create projects separate from shared configurations and schemes."},
		// Project.
		{"23", "ADMINISTER_PROJECTS", "Administer Projects", permProject, "Ability to administer a project in Jira."},
		{"10", "BROWSE_PROJECTS", "Browse Projects", permProject, "Ability to browse projects and the issues within them."},
		{"10400", "SERVICEDESK_AGENT", "Service Project Agent", permProject, "Allows users to interact with customers and access Jira Service Management features of a project."},
		{"29", "VIEW_DEV_TOOLS", "View Development Tools", permProject, "Allows users in a software project to view development-related information on the issue."},
		{"45", "VIEW_READONLY_WORKFLOW", "View Read-Only Workflow", permProject, "Users with this permission may view a read-only version of a workflow."},
		{"10200", "MANAGE_SPRINTS_PERMISSION", "Manage sprints", permProject, "Ability to manage sprints."},
		{"10300", "VIEW_AGGREGATED_DATA", "View aggregated data", permProject, "Users with this permission can view aggregated data in insights."},
		{"11", "CREATE_ISSUES", "Create Issues", permProject, "Ability to create issues."},
		{"12", "EDIT_ISSUES", "Edit Issues", permProject, "Ability to edit issues."},
		{"13", "ASSIGN_ISSUES", "Assign Issues", permProject, "Ability to assign issues to other people."},
		{"14", "RESOLVE_ISSUES", "Resolve Issues", permProject, "Ability to resolve and reopen issues."},
		{"15", "ADD_COMMENTS", "Add Comments", permProject, "Ability to comment on issues."},
		{"16", "DELETE_ISSUES", "Delete Issues", permProject, "Ability to delete issues."},
		{"17", "ASSIGNABLE_USER", "Assignable User", permProject, "Users with this permission may be assigned to issues."},
		{"18", "CLOSE_ISSUES", "Close Issues", permProject, "Ability to close issues."},
		{"19", "CREATE_ATTACHMENTS", "Create Attachments", permProject, "Users with this permission may create attachments."},
		{"20", "WORK_ON_ISSUES", "Work On Issues", permProject, "Ability to log work done against an issue."},
		{"21", "LINK_ISSUES", "Link Issues", permProject, "Ability to link issues together."},
		{"25", "MOVE_ISSUES", "Move Issues", permProject, "Ability to move issues between projects or between workflows."},
		{"26", "SET_ISSUE_SECURITY", "Set Issue Security", permProject, "Ability to set the level of security on an issue."},
		{"28", "SCHEDULE_ISSUES", "Schedule Issues", permProject, "Ability to view or edit an issue's due date."},
		{"30", "MODIFY_REPORTER", "Modify Reporter", permProject, "Ability to modify the reporter when creating or editing an issue."},
		{"31", "VIEW_VOTERS_AND_WATCHERS", "View Voters and Watchers", permProject, "Ability to view the voters and watchers of an issue."},
		{"32", "MANAGE_WATCHERS", "Manage Watchers", permProject, "Ability to manage the watchers of an issue."},
		{"34", "EDIT_ALL_COMMENTS", "Edit All Comments", permProject, "Ability to edit all comments made on issues."},
		{"35", "EDIT_OWN_COMMENTS", "Edit Own Comments", permProject, "Ability to edit own comments made on issues."},
		{"36", "DELETE_ALL_COMMENTS", "Delete All Comments", permProject, "Ability to delete all comments made on issues."},
		{"37", "DELETE_OWN_COMMENTS", "Delete Own Comments", permProject, "Ability to delete own comments made on issues."},
		{"38", "DELETE_ALL_ATTACHMENTS", "Delete All Attachments", permProject, "Users with this permission may delete all attachments."},
		{"39", "DELETE_OWN_ATTACHMENTS", "Delete Own Attachments", permProject, "Users with this permission may delete own attachments."},
		{"40", "EDIT_OWN_WORKLOGS", "Edit Own Worklogs", permProject, "Ability to edit own worklogs made on issues."},
		{"41", "EDIT_ALL_WORKLOGS", "Edit All Worklogs", permProject, "Ability to edit all worklogs made on issues."},
		{"42", "DELETE_OWN_WORKLOGS", "Delete Own Worklogs", permProject, "Ability to delete own worklogs made on issues."},
		{"43", "DELETE_ALL_WORKLOGS", "Delete All Worklogs", permProject, "Ability to delete all worklogs made on issues."},
		{"46", "TRANSITION_ISSUES", "Transition Issues", permProject, "Ability to transition issues."},
		{"10500", "EDIT_WORKFLOW", "Edit Workflows", permProject, "Ability to edit a workflow."},
		{"10501", "EDIT_ISSUE_LAYOUT", "Edit Issue Layouts", permProject, "Ability to edit the issue layout."},
	}
}

// portalAccessForbidden are permissions Jira refuses to grant to the Portal
// Access security type. Only VIEW_AGGREGATED_DATA has been observed (reference
// §2.3); the simulator rejects nothing it has not seen rejected.
func portalAccessForbidden() []string { return []string{"VIEW_AGGREGATED_DATA"} }

// defaultAdministrators is the Administrators role's share of a
// JSM-generated permission scheme (reference §5.1, from a real Cloud site).
func defaultAdministrators() []string {
	return []string{
		"ADD_COMMENTS", "ADMINISTER_PROJECTS", "ASSIGNABLE_USER", "ASSIGN_ISSUES", "BROWSE_PROJECTS",
		"CLOSE_ISSUES", "CREATE_ATTACHMENTS", "CREATE_ISSUES", "DELETE_ALL_ATTACHMENTS", "DELETE_ALL_COMMENTS",
		"DELETE_ALL_WORKLOGS", "DELETE_ISSUES", "DELETE_OWN_ATTACHMENTS", "DELETE_OWN_COMMENTS", "DELETE_OWN_WORKLOGS",
		"EDIT_ALL_COMMENTS", "EDIT_ALL_WORKLOGS", "EDIT_ISSUES", "EDIT_OWN_COMMENTS", "EDIT_OWN_WORKLOGS",
		"LINK_ISSUES", "MANAGE_WATCHERS", "MODIFY_REPORTER", "MOVE_ISSUES", "RESOLVE_ISSUES",
		"SCHEDULE_ISSUES", "SERVICEDESK_AGENT", "SET_ISSUE_SECURITY", "TRANSITION_ISSUES", "VIEW_DEV_TOOLS",
		"VIEW_READONLY_WORKFLOW", "VIEW_VOTERS_AND_WATCHERS", "WORK_ON_ISSUES",
	}
}

// defaultServiceDeskTeam is the Service Desk Team role's default share.
func defaultServiceDeskTeam() []string {
	return without(defaultAdministrators(),
		"ADMINISTER_PROJECTS", "VIEW_DEV_TOOLS", "EDIT_ALL_WORKLOGS", "DELETE_ALL_WORKLOGS")
}

// defaultPortalAccess is the Portal Access security type's default share.
func defaultPortalAccess() []string {
	return []string{
		"ADD_COMMENTS", "ASSIGN_ISSUES", "BROWSE_PROJECTS", "CLOSE_ISSUES", "CREATE_ATTACHMENTS",
		"CREATE_ISSUES", "DELETE_ISSUES", "DELETE_OWN_ATTACHMENTS", "DELETE_OWN_COMMENTS", "EDIT_ISSUES",
		"EDIT_OWN_COMMENTS", "LINK_ISSUES", "MANAGE_WATCHERS", "MODIFY_REPORTER", "MOVE_ISSUES",
		"RESOLVE_ISSUES", "SCHEDULE_ISSUES", "SET_ISSUE_SECURITY", "TRANSITION_ISSUES", "VIEW_VOTERS_AND_WATCHERS",
	}
}

// defaultAddons is the atlassian-addons-project-access role's default share.
func defaultAddons() []string {
	return append(defaultAdministrators(), "MANAGE_SPRINTS_PERMISSION")
}

// defaultSchemeAnyUser is what the real Default Permission Scheme grants to
// "any logged in user" (holder applicationRole without parameter).
func defaultSchemeAnyUser() []string {
	return []string{
		"ADD_COMMENTS", "ASSIGNABLE_USER", "ASSIGN_ISSUES", "BROWSE_PROJECTS", "CLOSE_ISSUES",
		"CREATE_ATTACHMENTS", "CREATE_ISSUES", "DELETE_OWN_ATTACHMENTS", "DELETE_OWN_COMMENTS", "DELETE_OWN_WORKLOGS",
		"EDIT_ISSUES", "EDIT_OWN_COMMENTS", "EDIT_OWN_WORKLOGS", "LINK_ISSUES", "MOVE_ISSUES",
		"RESOLVE_ISSUES", "SCHEDULE_ISSUES", "TRANSITION_ISSUES", "VIEW_DEV_TOOLS", "VIEW_READONLY_WORKFLOW",
		"VIEW_VOTERS_AND_WATCHERS", "WORK_ON_ISSUES",
	}
}

// defaultSchemeAdministrators is what the real Default Permission Scheme
// grants to the Administrators role.
func defaultSchemeAdministrators() []string {
	return []string{
		"ADMINISTER_PROJECTS", "DELETE_ALL_ATTACHMENTS", "DELETE_ALL_COMMENTS", "DELETE_ALL_WORKLOGS", "DELETE_ISSUES",
		"EDIT_ALL_COMMENTS", "EDIT_ALL_WORKLOGS", "MANAGE_WATCHERS", "MODIFY_REPORTER",
	}
}

// without returns keys minus drop, in the original order.
func without(keys []string, drop ...string) []string {
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		if !slices.Contains(drop, k) {
			out = append(out, k)
		}
	}
	return out
}
