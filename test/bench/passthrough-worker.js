// Pass-through floor Worker for `npm run bench`: every request is forwarded, body and all, to the fake
// upstream's `POST /v1/chat/completions` with one `fetch`, and the upstream's response is returned as is.
// It owns nothing else. It is the floor any Workers gateway pays on this runtime (inbound HTTP, one
// outbound HTTP round trip, the response streamed back), so botplane's gateway figures are printed beside it.
export default {
  fetch(request, env) {
    return fetch(`${env.UPSTREAM_BASE_URL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer x" },
      body: request.body,
    });
  },
};
