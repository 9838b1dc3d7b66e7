package event

// Class is an OCSF event class (class_uid).
type Class uint16

// The OCSF classes vigil's events use; docs/events.md says which line becomes which.
const (
	ClassUnknown        Class = 0
	ClassAuthentication Class = 3002 // logins, failed logins, logoffs with session counts
	ClassNetwork        Class = 4001 // connections closed or refused without a login
	ClassEmail          Class = 4009 // mail submitted or refused by the MTA
	ClassAPI            Class = 6003 // an IMAP command finished
	ClassDatastore      Class = 6005 // a stored message opened (read)
)

// Name is the OCSF class_name.
func (c Class) Name() string {
	switch c {
	case ClassAuthentication:
		return "Authentication"
	case ClassNetwork:
		return "Network Activity"
	case ClassEmail:
		return "Email Activity"
	case ClassAPI:
		return "API Activity"
	case ClassDatastore:
		return "Datastore Activity"
	}
	return "Unknown"
}

// CategoryUID is the OCSF category of the class (the thousands digit).
func (c Class) CategoryUID() int { return int(c) / 1000 }

// Activity is an OCSF activity_id; its meaning depends on the class.
type Activity uint8

// Activities, by class. OCSF numbers them per class, so the same number means
// different things in different classes; the names here carry the class.
const (
	ActivityUnknown Activity = 0
	ActivityOther   Activity = 99

	// Authentication (3002).
	Logon  Activity = 1
	Logoff Activity = 2

	// Network Activity (4001).
	NetOpen   Activity = 1
	NetClose  Activity = 2
	NetReset  Activity = 3
	NetFail   Activity = 4
	NetRefuse Activity = 5

	// Email Activity (4009).
	EmailSend    Activity = 1
	EmailReceive Activity = 2
	EmailTrace   Activity = 4 // a delivery attempt of a queued message

	// API Activity (6003) and Datastore Activity (6005).
	APICreate Activity = 1
	APIRead   Activity = 2
	APIUpdate Activity = 3
	APIDelete Activity = 4
)

// ActivityName is the OCSF activity_name of a within class c.
func ActivityName(c Class, a Activity) string {
	if a == ActivityOther {
		return "Other"
	}
	switch c {
	case ClassAuthentication:
		switch a {
		case Logon:
			return "Logon"
		case Logoff:
			return "Logoff"
		}
	case ClassNetwork:
		switch a {
		case NetOpen:
			return "Open"
		case NetClose:
			return "Close"
		case NetReset:
			return "Reset"
		case NetFail:
			return "Fail"
		case NetRefuse:
			return "Refuse"
		}
	case ClassEmail:
		switch a {
		case EmailSend:
			return "Send"
		case EmailReceive:
			return "Receive"
		case EmailTrace:
			return "Trace"
		}
	case ClassAPI, ClassDatastore:
		switch a {
		case APICreate:
			return "Create"
		case APIRead:
			return "Read"
		case APIUpdate:
			return "Update"
		case APIDelete:
			return "Delete"
		}
	}
	return "Unknown"
}

// Status is the OCSF status_id of an event's outcome.
type Status uint8

// Outcomes.
const (
	StatusUnknown Status = 0
	Success       Status = 1
	Failure       Status = 2
	StatusOther   Status = 99
)

// String is the OCSF status name.
func (s Status) String() string {
	switch s {
	case Success:
		return "Success"
	case Failure:
		return "Failure"
	case StatusOther:
		return "Other"
	}
	return "Unknown"
}
