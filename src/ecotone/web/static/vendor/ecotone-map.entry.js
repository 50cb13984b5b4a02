// Ecotone's map bundle: sigma.js and graphology (Gephi Lite's stack) with ForceAtlas2 in a web worker.
import Graph from "graphology";
import Sigma from "sigma";
import FA2Layout from "graphology-layout-forceatlas2/worker";
import forceAtlas2 from "graphology-layout-forceatlas2";
window.EcotoneGraph = { Graph, Sigma, FA2Layout, forceAtlas2 };
