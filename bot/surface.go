package bot

// Surface is what the bot asks of Slack, as plain values generated from its
// command table (commands.go): the slash command with its subcommands, the
// message shortcuts, the event subscriptions and the bot scopes. An app
// manifest declares it (internal/manifest); doctor checks a token against
// its scopes.
type Surface struct {
	// SlashCommand is the one slash command the bot registers.
	SlashCommand SlashCommand
	// Shortcuts are the message shortcuts, by the callback IDs the bot
	// routes.
	Shortcuts []Shortcut
	// Interactivity is true when the bot has buttons, shortcuts or modals,
	// which Slack delivers only to an app with interactivity on.
	Interactivity bool
	// Events are the Events API bot event subscriptions, e.g.
	// "message.channels".
	Events []string
	// Scopes are the bot token scopes, each with why it is needed.
	Scopes []Scope
	// HomeTab is true when the bot publishes an App Home tab.
	HomeTab bool
}

// SlashCommand describes a slash command.
type SlashCommand struct {
	// Name is the command as typed, with its slash: "/jsm".
	Name string
	// Description is the short text of Slack's command picker.
	Description string
	// Subcommands are the subcommands, in the order help lists them.
	Subcommands []Subcommand
}

// Subcommand describes one subcommand of a slash command.
type Subcommand struct {
	// Name is the first word after the command, e.g. "diagnose".
	Name string
	// Args are its arguments as help shows them, e.g. "KEY" ("" for none).
	Args string
	// Description says what it does.
	Description string
	// Usage is the subcommand with its arguments, e.g. "diagnose KEY".
	Usage string
	// Example is a whole command line, e.g. "/jsm diagnose HELP".
	Example string
}

// Shortcut describes a message shortcut.
type Shortcut struct {
	// Name is the shortcut's name in Slack's menu.
	Name string
	// CallbackID is the ID Slack sends with it and the bot routes by.
	CallbackID string
	// Description is the short text under the name, at most 150
	// characters.
	Description string
}

// Scope is a bot token scope and why the bot needs it.
type Scope struct {
	// Name is the scope, e.g. "chat:write".
	Name string
	// Why says what breaks without it.
	Why string
}

// SurfaceOptions are the deployment's choices that change the surface.
type SurfaceOptions struct {
	// PrivateChannels adds what detecting reports in private channels
	// needs (message.groups, groups:history).
	PrivateChannels bool
}

// SlackSurface describes the bot's Slack surface from its table.
func SlackSurface(o SurfaceOptions) Surface {
	return surface(o, commands(), actions(), shortcuts(), viewCallbacks(), listeners(), scopes())
}

// surface describes the surface of the given tables.
func surface(o SurfaceOptions, cmds []command, acts []action, scs []shortcut, views []viewCallback, ls []listener, ss []scope) Surface {
	s := Surface{
		SlashCommand:  SlashCommand{Name: slashCommand, Description: slashSummary},
		Interactivity: len(acts) > 0 || len(scs) > 0 || len(views) > 0,
	}
	for _, c := range cmds {
		s.SlashCommand.Subcommands = append(s.SlashCommand.Subcommands,
			Subcommand{Name: c.name, Args: c.args, Description: c.description, Usage: c.usage(), Example: c.example})
	}
	for _, sc := range scs {
		s.Shortcuts = append(s.Shortcuts, Shortcut{Name: sc.name, CallbackID: sc.id, Description: sc.summary})
	}
	for _, l := range ls {
		s.Events = append(s.Events, l.events...)
		s.HomeTab = s.HomeTab || l.homeTab
		if o.PrivateChannels {
			s.Events = append(s.Events, l.privateEvents...)
		}
	}
	for _, sc := range ss {
		if !sc.private || o.PrivateChannels {
			s.Scopes = append(s.Scopes, Scope{Name: sc.name, Why: sc.why})
		}
	}
	return s
}
