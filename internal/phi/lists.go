package phi

import _ "embed" // the shipped word lists

// medicationList is the shipped list of medication names (generic names of
// the medicines most prescribed in UK primary care), one per line.
//
//go:embed medications.txt
var medicationList string

// firstNameList holds common given names, used to find person names when no
// register is given.
//
//go:embed firstnames.txt
var firstNameList string
