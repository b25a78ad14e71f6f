// JSON POSTs to the app: the CSRF token from the page's meta tag in the X-CSRFToken header (Flask-WTF).
// What an HTML error page's status means, in the page's language (the JSON views say it themselves).
const STATUS_TEXT = document.documentElement.lang !== 'en' ? {
  400: '请求有误（表单可能已过期，请刷新页面）', 403: '您没有权限执行此操作', 404: '未找到该流程或版本',
  413: '提交的内容过大', 415: '请求内容类型不受支持',
} : {
  400: 'Bad request (the page may have expired: reload it)', 403: 'You are not allowed to do this',
  404: 'No such route or version', 413: 'What was sent is too large', 415: 'Unsupported content type',
};

export async function postJson(url, body) {
  const token = document.querySelector('meta[name="csrf-token"]').content;
  const response = await fetch(url, {
    method: 'POST', credentials: 'same-origin', body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRFToken': token },
  });
  let data = {};
  try {
    data = await response.json();
  } catch (error) {  // an HTML error page: say what its status means
    data = { message: STATUS_TEXT[response.status] || `${response.status} ${response.statusText}` };
  }
  if (!response.ok && !data.message) data.message = data.message_zh || `${response.status}`;
  return { ok: response.ok, status: response.status, data };
}

// Where the modeler hands its unsaved diagram to the simulation page (this tab's sessionStorage only).
export const DRAFT_KEY = 'jiuzhu-simulate-draft';
