package clinicmail

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// WriteMaildir writes the corpus's messages into dir as a Maildir (cur/, new/,
// tmp/) with a dovecot-uidlist giving message i the UID i+1, the way Dovecot
// keeps it. It returns the file names in UID order.
func (c *Corpus) WriteMaildir(dir string) ([]string, error) {
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o750); err != nil {
			return nil, fmt.Errorf("clinicmail: %w", err)
		}
	}
	var uidlist strings.Builder
	const validity = 1772438400
	fmt.Fprintf(&uidlist, "3 V%d N%d G0123456789abcdef0123456789abcdef\n", validity, len(c.Messages)+1)
	names := make([]string, len(c.Messages))
	for i, m := range c.Messages {
		base := fmt.Sprintf("%d.M%dP%d.clinic,S=%d", m.Date.Unix(), i, 4000+i, len(m.Raw))
		names[i] = base + ":2,S"
		if err := os.WriteFile(filepath.Join(dir, "cur", names[i]), m.Raw, 0o600); err != nil {
			return nil, fmt.Errorf("clinicmail: %w", err)
		}
		fmt.Fprintf(&uidlist, "%d :%s\n", i+1, base)
	}
	if err := os.WriteFile(filepath.Join(dir, "dovecot-uidlist"), []byte(uidlist.String()), 0o600); err != nil {
		return nil, fmt.Errorf("clinicmail: %w", err)
	}
	return names, nil
}
