export { TryIt } from './components/try-it';
