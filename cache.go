package stixcel

import (
	"crypto/sha256"
	"encoding/binary"
	"slices"
	"sync"

	"github.com/stixcel/stixcel/compiler"
	"github.com/stixcel/stixcel/compiler/attack"
	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/plan"
)

// Cache keeps what Inputs.Load and Loaded.Compile built, for a process that loads and
// compiles the same inputs many times (a test binary running the CLI in-process: the
// enterprise release is 9 MB of STIX to parse and 1,739 analytics to compile). Indexes are
// keyed by the content of the bundles; plan sets only for the built-in pack alone (no pack
// directory, profile or taxonomy, whose files could change between loads), keyed by the
// index. What it returns is shared: callers must not modify an Index or a plan.Set (nothing
// does: the compiler, lint, the tester, coverage and the runtime only read them, and copy a
// plan before changing it). The zero value is ready to use and safe for concurrent use.
type Cache struct {
	mu      sync.Mutex
	indexes map[[sha256.Size]byte]cachedIndex
	sets    map[setKey]cachedSet
}

type cachedIndex struct {
	ix    *attack.Index
	warns []attack.Warning
}

// setKey names a compilation of the built-in pack (or of no pack) over one index.
type setKey struct {
	ix        *attack.Index
	noBuiltin bool
	stop      compiler.Stage
}

type cachedSet struct {
	set   *plan.Set
	diags diag.Diagnostics
}

// load returns the index of sources, building it with attack.Load on a miss. Errors are not
// cached.
func (c *Cache) load(sources []attack.Source, opts attack.Options) (*attack.Index, []attack.Warning, error) {
	if c == nil {
		return attack.Load(sources, opts)
	}
	key := sourcesKey(sources, opts)
	c.mu.Lock()
	hit, ok := c.indexes[key]
	c.mu.Unlock()
	if ok {
		return hit.ix, hit.warns, nil
	}
	ix, warns, err := attack.Load(sources, opts)
	if err != nil {
		return nil, nil, err
	}
	c.mu.Lock()
	if c.indexes == nil {
		c.indexes = map[[sha256.Size]byte]cachedIndex{}
	}
	c.indexes[key] = cachedIndex{ix: ix, warns: warns}
	c.mu.Unlock()
	return ix, warns, nil
}

// LoadPaths loads bundles from paths as attack.LoadPaths does, keeping the index in c when
// c is not nil (diff loads its two releases this way).
func (c *Cache) LoadPaths(paths []string, opts attack.Options) (*attack.Index, []attack.Warning, error) {
	sources, err := attack.ReadPaths(paths, opts.Stdin)
	if err != nil {
		return nil, nil, err
	}
	return c.load(sources, opts)
}

// compile returns compileSet's result for key, computing it on a miss. The diagnostics are
// a copy: callers sort them in place.
func (c *Cache) compile(key setKey, compileSet func() (*plan.Set, diag.Diagnostics)) (*plan.Set, diag.Diagnostics) {
	c.mu.Lock()
	hit, ok := c.sets[key]
	c.mu.Unlock()
	if !ok {
		hit.set, hit.diags = compileSet()
		c.mu.Lock()
		if c.sets == nil {
			c.sets = map[setKey]cachedSet{}
		}
		c.sets[key] = hit
		c.mu.Unlock()
	}
	return hit.set, slices.Clone(hit.diags)
}

// sourcesKey digests what attack.Load's result depends on: each source's name (positions in
// warnings name it) and bytes, in order, and the options.
func sourcesKey(sources []attack.Source, opts attack.Options) [sha256.Size]byte {
	h := sha256.New()
	var n [8]byte
	field := func(b []byte) {
		binary.LittleEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	if opts.IncludeRevoked {
		h.Write([]byte{1})
	} else {
		h.Write([]byte{0})
	}
	for _, s := range sources {
		field([]byte(s.Name))
		field(s.Data)
	}
	var key [sha256.Size]byte
	h.Sum(key[:0])
	return key
}
