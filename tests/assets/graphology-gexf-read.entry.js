// Reads a GEXF file with graphology-gexf (the parser graphology, sigma.js and Gephi Lite use) and prints what it
// got as JSON: the graph's type, each node's key and attributes, each edge's ends, direction and attributes.
// Usage: node graphology-gexf-read.cjs FILE.gexf
"use strict";
const fs = require("fs");
const Graph = require("graphology");
const gexf = require("graphology-gexf");

const graph = gexf.parse(Graph, fs.readFileSync(process.argv[2], "utf-8"));
const out = { type: graph.type, multi: graph.multi, attributes: graph.getAttributes(), nodes: [], edges: [] };
graph.forEachNode((key, attributes) => out.nodes.push({ key, attributes }));
graph.forEachEdge((key, attributes, source, target, sa, ta, undirected) =>
  out.edges.push({ key, source, target, undirected, attributes }));
process.stdout.write(JSON.stringify(out));
