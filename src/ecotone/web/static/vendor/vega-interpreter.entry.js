// vega-interpreter as a browser script: Vega expressions evaluated from their AST, not compiled with new Function (CSP).
import { expressionInterpreter } from "vega-interpreter";
window.vega.expressionInterpreter = expressionInterpreter;
