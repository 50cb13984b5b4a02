// Ecotone's map bundle: sigma.js and graphology (Gephi Lite's stack) with ForceAtlas2 in a web worker, and
// sigma's hairline tie program (two vertices a tie instead of six: a big map's frame in a quarter of the time), and
// @sigma/export-image, which redraws the map (WebGL layers included) on a canvas of its own for PNG exports.
import Graph from "graphology";
import Sigma from "sigma";
import { EdgeLineProgram } from "sigma/rendering";
import FA2Layout from "graphology-layout-forceatlas2/worker";
import forceAtlas2 from "graphology-layout-forceatlas2";
import { drawOnCanvas, toBlob, toFile, downloadAsImage, downloadAsPNG, downloadAsJPEG } from "@sigma/export-image";
window.EcotoneGraph = { Graph, Sigma, FA2Layout, forceAtlas2, EdgeLineProgram,
                        drawOnCanvas, toBlob, toFile, downloadAsImage, downloadAsPNG, downloadAsJPEG };
