import type { Api } from './app';

/** POST /v1/folders/:id/upload as the Letta client sends it (multipart field `file`). */
export async function upload(
  api: Api,
  folderId: string,
  name: string,
  data: Buffer | string,
  query = '',
  type?: string,
) {
  const form = new FormData();
  form.append('file', new Blob([data], type ? { type } : {}), name);
  const res = await fetch(`${api.baseUrl}/v1/folders/${folderId}/upload${query}`, {
    method: 'POST',
    headers: api.headers,
    body: form,
  });
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* keep text */
  }
  return { status: res.status, body, headers: res.headers };
}

/** Polls a file until its ingestion ends (completed or error). */
export async function settled(api: Api, folderId: string, fileId: string, ms = 30_000) {
  const until = Date.now() + ms;
  for (;;) {
    const res = await api.get(`/v1/folders/${folderId}/files/${fileId}`);
    if (res.status !== 200) throw new Error(`file ${fileId}: ${res.status} ${JSON.stringify(res.body)}`);
    if (['completed', 'error'].includes(res.body.processing_status)) return res.body;
    if (Date.now() > until) throw new Error(`file ${fileId} still ${res.body.processing_status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
