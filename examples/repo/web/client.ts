// Typed wrapper around the user service's JSON API, used by the browser front end.

export interface User {
  id: number;
  email: string;
  name: string;
}

export class ApiError extends Error {
  constructor(public status: number, message: string) {
    super(message);
  }
}

export class UserClient {
  private token: string | null = null;

  constructor(private baseUrl: string) {}

  async login(email: string, password: string): Promise<void> {
    const body = await this.post<{ token: string }>("/login", { email, password });
    this.token = body.token;
  }

  async signup(email: string, name: string, password: string): Promise<number> {
    const body = await this.post<{ id: number }>("/signup", { email, name, password });
    return body.id;
  }

  async me(): Promise<User> {
    const response = await fetch(`${this.baseUrl}/me`, { headers: this.headers() });
    return unwrap<User>(response);
  }

  private headers(): Record<string, string> {
    const headers: Record<string, string> = { "Content-Type": "application/json" };
    if (this.token) headers["Authorization"] = `Bearer ${this.token}`;
    return headers;
  }

  private async post<T>(path: string, payload: unknown): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method: "POST",
      headers: this.headers(),
      body: JSON.stringify(payload),
    });
    return unwrap<T>(response);
  }
}

async function unwrap<T>(response: Response): Promise<T> {
  const body = await response.json();
  if (!response.ok) throw new ApiError(response.status, body.error ?? response.statusText);
  return body as T;
}
