package parse

// newParsers lists every parser, in the order autodetection asks them. A new
// format is one file with a type implementing Parser, and one line here. More
// specific claims come first: the Dovecot exporter's JSON is also a Dovecot
// log line.
func newParsers() []Parser {
	return []Parser{
		&dovecotExporter{},
		dovecot{},
		postfix{},
		roundcube{},
	}
}
