package clinicmail

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Patient is one invented patient. Scottish patients carry a CHI number as
// well; some patients are not on the clinic's register (Registered false).
type Patient struct {
	ID         string // register ID, e.g. P00042
	Title      string
	First      string
	Last       string
	Female     bool
	DOB        time.Time
	NHS        string // 10 digits, no spaces
	CHI        string // 10 digits or empty
	NINO       string // e.g. AB123456C
	Street     string
	Town       string
	Postcode   string
	Phone      string // national format
	Email      string
	Registered bool
}

// FullName is "First Last".
func (p *Patient) FullName() string { return p.First + " " + p.Last }

var (
	femaleFirst = []string{"Amelia", "Olivia", "Isla", "Emily", "Ava", "Jessica", "Ruby", "Grace", "Sophie", "Chloe",
		"Eilidh", "Morag", "Fiona", "Catriona", "Siân", "Zoë", "Aoife", "Niamh", "Harriet", "Beatrice",
		"Margaret", "Elaine", "Hannah", "Lucy", "Priya", "Aisha", "Fatima", "Mei", "Joanna", "Rosalind"}
	maleFirst = []string{"Oliver", "Jack", "Harry", "George", "Charlie", "Thomas", "James", "William", "Alfie", "Callum",
		"Hamish", "Euan", "Ruaridh", "Seán", "Rhys", "Dafydd", "Arjun", "Mohammed", "Kwame", "Tomasz",
		"Graham", "Malcolm", "Douglas", "Keith", "Brian", "Stuart", "Declan", "Ewan", "Piotr", "Hugo"}
	surnames = []string{"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robertson", "Wright",
		"Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Thomas", "Clarke", "Jackson",
		"Wood", "Harris", "Edwards", "Turner", "Martin", "Cooper", "Hill", "Ward", "Hughes", "Moore",
		"MacDonald", "Campbell", "Stewart", "Fraser", "McLeod", "Le Brocq", "de Gruchy", "Le Sueur", "Mauger", "Ozanne",
		"Le Page", "Brehaut", "O'Neill", "Okafor", "Patel", "Khan", "Nowak", "Kowalski", "Achterberg", "Featherstonehaugh",
		"Pemberton", "Ashworth", "Blackwood", "Cartwright", "Dunmore", "Ellery", "Fairbairn", "Gillespie", "Hartigan", "Inglis"}
	streets = []string{"High Street", "Station Road", "Church Lane", "Mill Road", "Victoria Street", "Park Avenue",
		"Rue de la Pompe", "La Route du Fort", "Les Banques", "Queen Street", "Albert Terrace", "Beech Grove"}
	ukAreas = []struct{ town, outward string }{
		{"Leeds", "LS"}, {"Manchester", "M"}, {"Bristol", "BS"}, {"Norwich", "NR"}, {"York", "YO"},
		{"Cardiff", "CF"}, {"Exeter", "EX"}, {"Oxford", "OX"}, {"London", "SE"}, {"Sheffield", "S"},
	}
	scotAreas = []struct{ town, outward string }{{"Edinburgh", "EH"}, {"Glasgow", "G"}, {"Aberdeen", "AB"}, {"Inverness", "IV"}}
)

const inwardLetters = "ABDEFGHJLNPQRSTUWXYZ"

func inward(r *rand.Rand) string {
	return fmt.Sprintf("%d%c%c", r.IntN(10), inwardLetters[r.IntN(len(inwardLetters))], inwardLetters[r.IntN(len(inwardLetters))])
}

// place is where a patient lives: 0 England/Wales, 1 Scotland, 2 Jersey, 3 Guernsey.
func newPatient(r *rand.Rand, n int) Patient {
	p := Patient{ID: fmt.Sprintf("P%05d", n), Registered: true}
	p.Female = r.IntN(2) == 0
	if p.Female {
		p.First = femaleFirst[r.IntN(len(femaleFirst))]
		p.Title = []string{"Mrs", "Ms", "Miss"}[r.IntN(3)]
	} else {
		p.First = maleFirst[r.IntN(len(maleFirst))]
		p.Title = "Mr"
	}
	p.Last = surnames[r.IntN(len(surnames))]
	p.DOB = time.Date(1930+r.IntN(90), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC)
	p.NHS = newNHS(r)
	p.NINO = newNINO(r)
	p.Street = fmt.Sprintf("%d %s", 1+r.IntN(180), streets[r.IntN(len(streets))])
	switch place := r.IntN(10); {
	case place < 5:
		a := ukAreas[r.IntN(len(ukAreas))]
		p.Town, p.Postcode = a.town, fmt.Sprintf("%s%d %s", a.outward, 1+r.IntN(20), inward(r))
		p.Phone = fmt.Sprintf("0113 496 %04d", r.IntN(1000))
	case place < 7:
		a := scotAreas[r.IntN(len(scotAreas))]
		p.Town, p.Postcode = a.town, fmt.Sprintf("%s%d %s", a.outward, 1+r.IntN(20), inward(r))
		p.CHI = newCHI(r, p.DOB, p.Female)
		p.Phone = fmt.Sprintf("0131 496 %04d", r.IntN(1000))
	case place < 9:
		p.Town, p.Postcode = "St Helier", fmt.Sprintf("JE%d %s", 1+r.IntN(4), inward(r))
		p.Phone = fmt.Sprintf("01534 %d%05d", []int{4, 5, 6, 7, 8}[r.IntN(5)], r.IntN(100000))
	default:
		p.Town, p.Postcode = "St Peter Port", fmt.Sprintf("GY%d %s", 1+r.IntN(9), inward(r))
		p.Phone = fmt.Sprintf("01481 %d%05d", []int{2, 7}[r.IntN(2)], r.IntN(100000))
	}
	if r.IntN(3) == 0 {
		p.Phone = fmt.Sprintf("07700 %06d", 900000+r.IntN(1000)) // Ofcom's range for drama
	}
	local := strings.ToLower(strings.NewReplacer(" ", "", "'", "", "ë", "e", "â", "a", "é", "e", "á", "a").Replace(p.First + "." + p.Last))
	p.Email = fmt.Sprintf("%s%d@%s", local, r.IntN(100), []string{"example.com", "example.org", "example.net"}[r.IntN(3)])
	return p
}
