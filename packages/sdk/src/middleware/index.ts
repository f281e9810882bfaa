export { requireToken, type ExpressLikeRequest, type ExpressLikeResponse } from "./express.js";
export { latchkeyPlugin, type LatchkeyRouteConfig } from "./fastify.js";
export { bearerOf, decide, type Refusal } from "./decide.js";
